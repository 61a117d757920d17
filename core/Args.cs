// The command line and environment as the bytes the program was given (names and values
// need not be valid UTF-8), and zero-terminated copies for calls into C.
namespace Toolkit;

public static unsafe class Args
{
    static byte[][] argv;

    /// <summary>argv[0..argc-1] exactly as passed to execve.</summary>
    public static byte[][] Argv => argv ??= Read(Native.tk_argv(), Native.tk_argc());

    /// <summary>The path this program was executed under, as the kernel records it (AT_EXECFN):
    /// a link's own name, whatever argv[0] says.</summary>
    public static ReadOnlySpan<byte> ExecutedAs
    {
        get
        {
            byte* p = (byte*)Native.getauxval(Native.AT_EXECFN);
            return p == null ? default : new ReadOnlySpan<byte>(p, Length(p));
        }
    }

    /// <summary>argv[index] where the kernel put it: what ps shows, and what readproctitle rewrites.</summary>
    public static Span<byte> InPlace(int index)
    {
        byte* p = Native.tk_argv()[index];
        return new Span<byte>(p, Length(p));
    }

    /// <summary>The environment this process started with, as NAME=VALUE entries in order.</summary>
    public static byte[][] Environ()
    {
        byte** e = Native.tk_environ();
        int n = 0;
        while (e[n] != null) n++;
        return Read(e, n);
    }

    public static byte[] GetEnv(ReadOnlySpan<byte> name)
    {
        byte* value = GetEnvZ(name);
        return value == null ? null : new ReadOnlySpan<byte>(value, Length(value)).ToArray();
    }

    /// <summary>A variable's value where it is in the environment, as a C string; null if unset.</summary>
    public static byte* GetEnvZ(ReadOnlySpan<byte> name)
    {
        byte** e = Native.tk_environ();
        for (int i = 0; e[i] != null; i++)
        {
            var entry = new ReadOnlySpan<byte>(e[i], Length(e[i]));
            if (entry.Length > name.Length && entry[name.Length] == (byte)'=' && entry.StartsWith(name))
                return e[i] + name.Length + 1;
        }
        return null;
    }

    static byte[][] Read(byte** p, int n)
    {
        var r = new byte[n][];
        for (int i = 0; i < n; i++) r[i] = new ReadOnlySpan<byte>(p[i], Length(p[i])).ToArray();
        return r;
    }

    public static int Length(byte* s)
    {
        int n = 0;
        while (s[n] != 0) n++;
        return n;
    }

    /// <summary>A zero-terminated copy, for passing to C: the one way the programs' byte strings
    /// become C strings (core/Files.cs makes them for every path).</summary>
    public static byte[] Z(ReadOnlySpan<byte> s)
    {
        var r = new byte[s.Length + 1];
        s.CopyTo(r);
        return r;
    }

    public static byte[] Bytes(string ascii)
    {
        var r = new byte[ascii.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (byte)ascii[i];
        return r;
    }
}
