// multilog SCRIPT...: read lines from stdin and, for each line, run SCRIPT: select or
// deselect it by pattern (+PAT, -PAT), copy it to stderr (e), to a status file (=FILE), or
// append it to automatically rotated log directories (./DIR, /DIR; sN, nN, !PROC set their
// size, number of files and processor). "t" first: prefix lines with a TAI64N stamp.
// Beyond 0.76, with letters 0.76 ignores: T (a local ISO 8601 stamp, multilog.stamp.cs), RN
// (rotate by age), SN (a cap on the archives' total size) and z (gzipped archives,
// multilog.archive.cs); a script without them runs as 0.76's.
//
// The order of events is 0.76's: every =FILE is opened before any directory is set up; a
// line's script runs to its end before the line goes into the selected directories; input
// is taken as 0.76's 1024-byte reads, each after flushing every directory's 512-byte buffer
// (multilog.logdir.cs), whose writes wait in a journal until the next thing another process
// could see (multilog.journal.cs).
using Toolkit;

static class Multilog
{
    internal static ReadOnlySpan<byte> Warning => "multilog: warning: "u8;
    internal static ReadOnlySpan<byte> Fatal => "multilog: fatal: "u8;

    internal static int StartDir;
    static LogDir[] dirs;
    // The per-line script: kind ('+', '-', 'e', '=', 'd') with its pattern or file name and
    // the status file's descriptor; the 'd' elements are the directories in order.
    static byte[] kinds;
    static byte[][] patterns;
    static int[] files;
    // The stamps that start each line, in order (multilog.stamp.cs).
    static byte[] stamps;

    // The current line: its first 1000 bytes (with the stamp), and whether it is past them.
    static readonly byte[] line = new byte[1001];
    static int lineLength;
    static bool inLine, overflow;

    internal static int Main()
    {
        Native.umask(Mode.NoGroupOtherWrite);
        var argv = Args.Argv;
        StartDir = Files.OpenRead("."u8);
        if (StartDir == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to current directory: "u8);
        // TERM and ALRM interrupt a read, as in 0.76 where they are unblocked only around it.
        foreach (int s in new[] { Native.SIGTERM, Native.SIGALRM })
        {
            Native.tk_signal_catch(s);
            Native.siginterrupt(s, 1);
            Native.tk_signal_unblock(s);
        }
        StartDirectories(argv, OpenStatusFiles(argv));
        Run();
        return 0;
    }

    /// <summary>Every =FILE, before any directory; their descriptors by argument number.</summary>
    static int[] OpenStatusFiles(byte[][] argv)
    {
        var fds = new int[argv.Length];
        for (int i = 1; i < argv.Length; i++)
            if (argv[i].Length > 0 && argv[i][0] == '=') fds[i] = OpenStatusFile(argv[i].AsSpan(1));
        return fds;
    }

    static int OpenStatusFile(ReadOnlySpan<byte> name)
    {
        if (Native.fchdir(StartDir) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to starting directory: "u8);
        int fd = Files.OpenAppend(name);
        if (fd == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to create "u8, name, ": "u8);
        Native.close(fd);
        fd = Files.OpenWrite(name);
        if (fd == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to write "u8, name, ": "u8);
        return fd;
    }

    /// <summary>Sets up the directories in script order and compiles the per-line script.</summary>
    static void StartDirectories(byte[][] argv, int[] statusFds)
    {
        stamps = LineStamp.Of(argv);
        int n = argv.Length - 1;
        kinds = new byte[n];
        patterns = new byte[n][];
        files = new int[n];
        var list = new System.Collections.Generic.List<LogDir>();
        var settings = new DirSettings { Size = 99999, Num = 10 };
        int k = 0;
        for (int i = 1; i < argv.Length; i++)
        {
            var a = argv[i];
            if (a.Length == 0) continue;
            switch (a[0])
            {
                case (byte)'s':
                    Numbers.ScanULong(a.AsSpan(1), out settings.Size);
                    if (settings.Size < 4096) settings.Size = 4096;
                    if (settings.Size > 16777215) settings.Size = 16777215;
                    break;
                case (byte)'n':
                    Numbers.ScanULong(a.AsSpan(1), out settings.Num);
                    if (settings.Num < 2) settings.Num = 2;
                    break;
                case (byte)'!':
                    settings.Processor = a[1..];
                    break;
                case (byte)'R':
                    Numbers.ScanULong(a.AsSpan(1), out settings.Period);
                    break;
                case (byte)'S':
                    Numbers.ScanULong(a.AsSpan(1), out settings.Cap);
                    break;
                case (byte)'z':
                    settings.Compress = true;
                    break;
                case (byte)'+':
                case (byte)'-':
                case (byte)'=':
                    kinds[k] = a[0];
                    files[k] = statusFds[i];
                    patterns[k++] = a[1..];
                    break;
                case (byte)'e':
                    kinds[k++] = (byte)'e';
                    break;
                case (byte)'.':
                case (byte)'/':
                    var d = new LogDir(a, settings);
                    d.Start();
                    list.Add(d);
                    kinds[k++] = (byte)'d';
                    break;
            }
        }
        Array.Resize(ref kinds, k);
        dirs = list.ToArray();
        Journal.Dirs = dirs;
    }

    // Input is processed as 0.76's 1024-byte reads: every directory's buffer is flushed before
    // each of them. Signals are looked at only around a real read.
    const int ModelRead = 1024;
    static bool exitAsap, forceRotate, newline = true;

    static void Run()
    {
        var input = new byte[64 * 1024];
        for (;;)
        {
            nint r = FlushRead(input);
            if (r <= 0) break;
            for (int start = 0; start < r; start += ModelRead)
            {
                if (start > 0) foreach (var d in dirs) d.Flush();
                Feed(input.AsSpan(start, (int)Math.Min(ModelRead, r - start)));
            }
        }
        if (inLine)
        {
            if (!overflow) Actions();
            EndLine();
        }
        foreach (var d in dirs) d.Close();
        Errors.Exit(0);
    }

    /// <summary>0.76's flushread: flush every directory, rotate them after ALRM, then read;
    /// after TERM, stop at a line's end or read one byte. A signal that interrupts the read
    /// starts it over; one that came while multilog was busy is taken just before the read
    /// and acted on at the next one. Returns the bytes read, 0 or -1 to end.</summary>
    static nint FlushRead(byte[] input)
    {
        for (;;)
        {
            foreach (var d in dirs) d.Flush();
            Journal.Drain();
            if (forceRotate)
            {
                foreach (var d in dirs) d.ForceRotate();
                forceRotate = false;
            }
            foreach (var d in dirs) d.RotateIfOld(Clock.Now());
            int len = input.Length;
            if (exitAsap)
            {
                if (newline) return 0;
                len = 1;
            }
            TakeSignals();
            // What came while multilog was busy is acted on after this read: one of 0.76's.
            if (exitAsap || forceRotate) len = Math.Min(len, ModelRead);
            if (!InputBeforeAge()) continue;
            int r = Sys.ReadInterruptible(0, input.AsSpan(0, len));
            if (r == -1 && Native.Errno == Native.EINTR)
            {
                TakeSignals();
                continue;
            }
            if (r > 0) newline = input[r - 1] == '\n';
            return r;
        }
    }

    /// <summary>With rotation by age (RN): waits for input until the oldest line of a
    /// directory comes of age; false if it did, or a signal came, before input: start over.
    /// Without, true at once: the read blocks as 0.76's.</summary>
    static bool InputBeforeAge()
    {
        long due = long.MaxValue;
        foreach (var d in dirs) due = Math.Min(due, d.AgeDeadline);
        if (due == long.MaxValue) return true;
        long wait = due - Clock.Now();
        if (wait <= 0) return false;
        Span<Native.PollFd> pfd = [new Native.PollFd { Fd = 0, Events = Native.POLLIN }];
        int r = Sys.Poll(pfd, (int)Math.Min(wait, int.MaxValue));
        if (r == -1 && Native.Errno == Native.EINTR)
        {
            TakeSignals();
            return false;
        }
        // Another failure of poll is left to the read.
        return r != 0;
    }

    static void TakeSignals()
    {
        Span<byte> sigs = stackalloc byte[16];
        int r;
        while ((r = Sys.Read(Native.tk_selfpipe(), sigs)) > 0)
            for (int i = 0; i < r; i++)
            {
                if (sigs[i] == Native.SIGTERM) exitAsap = true;
                if (sigs[i] == Native.SIGALRM) forceRotate = true;
            }
    }

    /// <summary>Takes the bytes of one modelled read through the line machine.</summary>
    static void Feed(ReadOnlySpan<byte> s)
    {
        while (s.Length > 0)
        {
            if (!inLine)
            {
                inLine = true;
                lineLength = 0;
                if (stamps.Length > 0) lineLength = LineStamp.Put(line, stamps);
            }
            if (overflow)
            {
                int nl = s.IndexOf((byte)'\n');
                var piece = nl < 0 ? s : s.Slice(0, nl);
                foreach (var d in dirs) if (d.Selected) d.PutBytewise(piece);
                if (nl < 0) return;
                s = s.Slice(nl + 1);
                EndLine();
                continue;
            }
            int room = Math.Min(1000 - lineLength, s.Length);
            int end = s.Slice(0, room).IndexOf((byte)'\n');
            if (end >= 0)
            {
                s.Slice(0, end).CopyTo(line.AsSpan(lineLength));
                lineLength += end;
                s = s.Slice(end + 1);
                Actions();
                EndLine();
                continue;
            }
            s.Slice(0, room).CopyTo(line.AsSpan(lineLength));
            lineLength += room;
            s = s.Slice(room);
            if (lineLength == 1000)
            {
                Actions();
                overflow = true;
            }
        }
    }

    static void EndLine()
    {
        foreach (var d in dirs) if (d.Selected) d.PutByte((byte)'\n');
        inLine = overflow = false;
    }

    /// <summary>The script, left to right, on the first 1000 bytes of the line; then the line
    /// goes into every directory selected for it. What the directories' buffers flushed is on
    /// disk before the line is echoed or stored.</summary>
    static void Actions()
    {
        var text = line.AsSpan(0, lineLength);
        bool selected = true;
        int j = 0;
        for (int i = 0; i < kinds.Length; i++)
        {
            switch (kinds[i])
            {
                case (byte)'+': if (!selected && Match(patterns[i], text)) selected = true; break;
                case (byte)'-': if (selected && Match(patterns[i], text)) selected = false; break;
                case (byte)'e':
                    if (!selected) break;
                    Journal.Drain();
                    Echo(text);
                    break;
                case (byte)'=':
                    if (!selected) break;
                    Journal.Drain();
                    Status(i);
                    break;
                case (byte)'d': dirs[j++].Selected = selected; break;
            }
        }
        foreach (var d in dirs) if (d.Selected) d.Put(text);
    }

    static void Echo(ReadOnlySpan<byte> text)
    {
        Span<byte> buf = stackalloc byte[1001];
        int n;
        if (text.Length > 200)
        {
            text.Slice(0, 200).CopyTo(buf);
            "...\n"u8.CopyTo(buf.Slice(200));
            n = 204;
        }
        else
        {
            text.CopyTo(buf);
            buf[text.Length] = (byte)'\n';
            n = text.Length + 1;
        }
        // Not Sys.WriteAll: a write of 0 bytes ends the echo, as in 0.76, rather than repeating.
        for (var rest = buf.Slice(0, n); rest.Length > 0;)
        {
            int w = Sys.Write(2, rest);
            if (w <= 0) break;
            rest = rest.Slice(w);
        }
    }

    /// <summary>=FILE: the line padded with newlines to 1001 bytes, written at offset 0.</summary>
    static void Status(int i)
    {
        line.AsSpan(lineLength).Fill((byte)'\n');
        int fd = files[i];
        for (;;)
        {
            while (Native.lseek(fd, 0, Native.SEEK_SET) == -1)
                LogDir.Pause("unable to move to beginning of "u8, patterns[i], ", pausing: "u8);
            if (Sys.Write(fd, line) == line.Length) return;
            LogDir.Pause("unable to write "u8, patterns[i], ", pausing: "u8);
        }
    }

    /// <summary>djb's pattern match: '*' then c skips to the next c, a final '*' matches the rest;
    /// no backtracking.</summary>
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> s)
    {
        int p = 0, i = 0;
        for (;;)
        {
            if (p == pattern.Length) return i == s.Length;
            byte c = pattern[p++];
            if (c == '*')
            {
                if (p == pattern.Length) return true;
                c = pattern[p];
                int k = s.Slice(i).IndexOf(c);
                if (k < 0) return false;
                i += k;
                continue;
            }
            if (i == s.Length || s[i] != c) return false;
            i++;
        }
    }
}
