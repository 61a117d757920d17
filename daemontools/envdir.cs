// envdir DIR CHILD...: for each file in DIR (names starting with "." skipped), set the
// variable of that name to the file's first line, trailing spaces and tabs removed and NUL
// bytes turned into newlines; an empty file removes the variable. Then run CHILD.
using Toolkit;

static unsafe class Envdir
{
    static ReadOnlySpan<byte> Fatal => "envdir: fatal: "u8;

    static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(111, "envdir: usage: envdir dir child"u8);
        var dir = argv[1];

        int origin = Files.OpenRead("."u8);
        if (origin == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to open current directory: "u8);
        fixed (byte* z = Args.Z(dir))
            if (Native.chdir(z) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to directory "u8, dir, ": "u8);
        nint d;
        fixed (byte* dot = "."u8) d = Native.opendir(dot);
        if (d == 0) Errors.DieSys(111, Native.Errno, Fatal, "unable to read directory "u8, dir, ": "u8);
        for (;;)
        {
            System.Runtime.InteropServices.Marshal.SetLastPInvokeError(0);
            byte* entry = Native.readdir(d);
            if (entry == null)
            {
                int e = Native.Errno;
                if (e != 0) Errors.DieSys(111, e, Fatal, "unable to read directory "u8, dir, ": "u8);
                break;
            }
            var name = Dirent.Name(entry);
            if (name[0] == '.') continue;
            var value = Read(name, out int err);
            if (value == null) Errors.DieSys(111, err, Fatal, "unable to read "u8, dir, "/"u8, name, ": "u8);
            if (value.Length == 0) { Exec.UnsetEnv(name); continue; }
            Exec.SetEnv(name, FirstLine(value));
        }
        Native.closedir(d);
        if (Native.fchdir(origin) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to starting directory: "u8);
        Native.close(origin);
        Exec.RunOrDie(Fatal, argv[2..]);
        return 111;
    }

    /// <summary>The file's bytes; a file that vanished counts as empty (djb's openreadclose).</summary>
    static byte[] Read(ReadOnlySpan<byte> name, out int err)
    {
        var data = Files.ReadAll(name, out err);
        if (data == null && err == 2) return Array.Empty<byte>();
        return data;
    }

    static byte[] FirstLine(byte[] value)
    {
        int len = Array.IndexOf(value, (byte)'\n');
        if (len < 0) len = value.Length;
        while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
        var line = value.AsSpan(0, len).ToArray();
        for (int i = 0; i < line.Length; i++) if (line[i] == 0) line[i] = (byte)'\n';
        return line;
    }
}
