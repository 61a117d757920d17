// envdir DIR CHILD...: for each file in DIR (names starting with "." skipped), set the
// variable of that name to the file's first line, trailing spaces and tabs removed and NUL
// bytes turned into newlines; an empty file removes the variable. Then run CHILD.
using Toolkit;

static class Envdir
{
    static ReadOnlySpan<byte> Fatal => "envdir: fatal: "u8;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(111, "envdir: usage: envdir dir child"u8);
        var dir = argv[1];

        int origin = Files.OpenRead("."u8);
        if (origin == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to open current directory: "u8);
        if (Files.Chdir(dir) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to directory "u8, dir, ": "u8);
        var entries = Dir.Open("."u8);
        if (entries == null) Errors.DieSys(111, Native.Errno, Fatal, "unable to read directory "u8, dir, ": "u8);
        // As in daemontools 0.76, a file that does not exist (a dangling symlink, or removed
        // meanwhile) leaves the value buffer as the previous entry left it, terminator included.
        byte[] value = Array.Empty<byte>();
        while (entries.Next(out var entry))
        {
            if (entry[0] == '.') continue;
            var name = entry.ToArray();
            var data = Files.ReadAll(name, out int err);
            if (data != null) value = data;
            else if (err != Native.ENOENT) Errors.DieSys(111, err, Fatal, "unable to read "u8, dir, "/"u8, name, ": "u8);
            if (value.Length == 0) { Exec.UnsetEnv(name); continue; }
            value = FirstLine(value);
            Exec.SetEnv(name, value.AsSpan(0, value.Length - 1));
        }
        if (entries.Errno != 0) Errors.DieSys(111, entries.Errno, Fatal, "unable to read directory "u8, dir, ": "u8);
        entries.Dispose();
        if (Native.fchdir(origin) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to starting directory: "u8);
        Native.close(origin);
        Exec.RunOrDie(Fatal, argv[2..]);
        return 111;
    }

    /// <summary>The first line, trailing spaces and tabs cut, NULs made newlines, then a NUL
    /// terminator (kept, because a following missing file reuses this buffer).</summary>
    static byte[] FirstLine(byte[] value)
    {
        int len = Array.IndexOf(value, (byte)'\n');
        if (len < 0) len = value.Length;
        while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
        var line = new byte[len + 1];
        value.AsSpan(0, len).CopyTo(line);
        for (int i = 0; i < len; i++) if (line[i] == 0) line[i] = (byte)'\n';
        return line;
    }
}
