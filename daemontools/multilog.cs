// multilog SCRIPT...: read lines from stdin and, for each line, run SCRIPT: select or
// deselect it by pattern (+PAT, -PAT), copy it to stderr (e), to a status file (=FILE), or
// append it to automatically rotated log directories (./DIR, /DIR; sN, nN, !PROC set their
// size, number of files and processor). "t" first: prefix lines with a TAI64N stamp.
//
// Output to each directory goes through a model of djb's 512-byte buffer and 1024-byte
// input reads, so current files are cut and rotated exactly where 0.76 cuts them; the
// bytes themselves are written in large batches, before every read and before a rotation.
using Toolkit;

static unsafe class Multilog
{
    internal static ReadOnlySpan<byte> Warning => "multilog: warning: "u8;
    static ReadOnlySpan<byte> Fatal => "multilog: fatal: "u8;

    internal static int StartDir;
    static LogDir[] dirs;
    // The per-line script: kind ('+', '-', 'e', '=', 'd') with its pattern or file name, the
    // file's descriptor, or the directory.
    static byte[] kinds;
    static byte[][] patterns;
    static int[] files;
    static LogDir[] targets;
    static bool stamp;

    // The current line: its first 1000 bytes (with the stamp), and whether it is past them.
    static readonly byte[] line = new byte[1001];
    static int lineLength;
    static bool inLine, overflow;

    internal static int Main()
    {
        Native.umask(0x12);
        var argv = Args.Argv;
        StartDir = Files.OpenRead("."u8);
        if (StartDir == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to current directory: "u8);
        Native.tk_signal_catch(Native.SIGTERM);
        Native.tk_signal_catch(Native.SIGALRM);
        Native.tk_signal_unblock(Native.SIGTERM);
        Native.tk_signal_unblock(Native.SIGALRM);
        Setup(argv);
        Run();
        return 0;
    }

    static void Setup(byte[][] argv)
    {
        stamp = argv.Length > 1 && argv[1].Length > 0 && argv[1][0] == 't';
        int n = argv.Length - 1;
        kinds = new byte[n];
        patterns = new byte[n][];
        files = new int[n];
        targets = new LogDir[n];
        var list = new System.Collections.Generic.List<LogDir>();
        ulong size = 99999, num = 10;
        byte[] processor = null;
        int k = 0;
        for (int i = 1; i < argv.Length; i++)
        {
            var a = argv[i];
            if (a.Length == 0) continue;
            switch (a[0])
            {
                case (byte)'s':
                    Numbers.ScanULong(a.AsSpan(1), out size);
                    if (size < 4096) size = 4096;
                    if (size > 16777215) size = 16777215;
                    break;
                case (byte)'n':
                    Numbers.ScanULong(a.AsSpan(1), out num);
                    if (num < 2) num = 2;
                    break;
                case (byte)'!':
                    processor = a[1..];
                    break;
                case (byte)'+':
                case (byte)'-':
                    kinds[k] = a[0];
                    patterns[k++] = a[1..];
                    break;
                case (byte)'e':
                    kinds[k++] = (byte)'e';
                    break;
                case (byte)'=':
                    kinds[k] = (byte)'=';
                    patterns[k] = a[1..];
                    files[k++] = OpenStatusFile(a.AsSpan(1));
                    break;
                case (byte)'.':
                case (byte)'/':
                    var d = new LogDir(a, size, num, processor);
                    d.Start();
                    list.Add(d);
                    kinds[k] = (byte)'d';
                    targets[k++] = d;
                    break;
            }
        }
        Array.Resize(ref kinds, k);
        dirs = list.ToArray();
    }

    static int OpenStatusFile(ReadOnlySpan<byte> name)
    {
        if (Native.fchdir(StartDir) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to starting directory: "u8);
        int fd = Files.OpenAppend(name);
        if (fd == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to create "u8, name, ": "u8);
        Native.close(fd);
        fd = Files.Open(name, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);
        if (fd == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to write "u8, name, ": "u8);
        return fd;
    }

    // Reads are modelled as 0.76's 1024-byte reads: every directory's buffer is flushed before
    // each of them. Signals are looked at only before a real read.
    const int ModelRead = 1024;

    static void Run()
    {
        var input = new byte[64 * 1024];
        int sig = Native.tk_selfpipe();
        bool exitAsap = false, newline = true;
        byte* sigs = stackalloc byte[16];
        var poll = stackalloc Native.PollFd[2];
        for (;;)
        {
            foreach (var d in dirs) d.Flush();
            // After TERM, a partial line is finished by blocking reads of one byte.
            nint r;
            for (;;)
            {
                while ((r = Native.read(sig, sigs, 16)) > 0)
                    for (int i = 0; i < r; i++)
                    {
                        if (sigs[i] == Native.SIGTERM) exitAsap = true;
                        if (sigs[i] == Native.SIGALRM) foreach (var d in dirs) d.ForceRotate();
                    }
                if (exitAsap && newline) { r = 0; break; }
                poll[0] = new Native.PollFd { Fd = 0, Events = Native.POLLIN };
                if (!exitAsap)
                {
                    poll[1] = new Native.PollFd { Fd = sig, Events = Native.POLLIN };
                    if (Native.poll(poll, 2, -1) == -1) continue;
                    if (poll[1].Revents != 0) continue;
                }
                fixed (byte* p = input) r = Native.read(0, p, exitAsap ? 1 : input.Length);
                if (r == -1 && Native.Errno == Native.EAGAIN && exitAsap) Native.poll(poll, 1, -1);
                if (r == -1 && (Native.Errno == Native.EINTR || Native.Errno == Native.EAGAIN)) continue;
                break;
            }
            if (r <= 0) break;
            newline = input[r - 1] == '\n';
            for (int start = 0; start < r; start += ModelRead)
            {
                if (start > 0) foreach (var d in dirs) d.ModelFlush();
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

    /// <summary>Takes the bytes of one modelled read through the line machine.</summary>
    static void Feed(ReadOnlySpan<byte> s)
    {
        while (s.Length > 0)
        {
            if (!inLine)
            {
                inLine = true;
                lineLength = 0;
                if (stamp)
                {
                    Tai64.Stamp(line);
                    line[25] = (byte)' ';
                    lineLength = 26;
                }
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
        foreach (var d in dirs) if (d.Selected) d.Put("\n"u8);
        inLine = overflow = false;
    }

    /// <summary>The script, left to right, on the first 1000 bytes of the line.</summary>
    static void Actions()
    {
        var text = line.AsSpan(0, lineLength);
        bool selected = true;
        for (int i = 0; i < kinds.Length; i++)
        {
            switch (kinds[i])
            {
                case (byte)'+': if (!selected && Match(patterns[i], text)) selected = true; break;
                case (byte)'-': if (selected && Match(patterns[i], text)) selected = false; break;
                case (byte)'e': if (selected) Echo(text); break;
                case (byte)'=': if (selected) Status(i); break;
                case (byte)'d':
                    var d = targets[i];
                    d.Selected = selected;
                    if (selected) d.Put(text);
                    break;
            }
        }
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
        fixed (byte* p = buf)
            for (int done = 0; done < n;)
            {
                nint w = Native.write(2, p + done, n - done);
                if (w <= 0) { if (w == -1 && Native.Errno == Native.EINTR) continue; break; }
                done += (int)w;
            }
    }

    /// <summary>=FILE: the line padded with newlines to 1001 bytes, written at offset 0.</summary>
    static void Status(int i)
    {
        line.AsSpan(lineLength).Fill((byte)'\n');
        int fd = files[i];
        while (Native.lseek(fd, 0, Native.SEEK_SET) == -1)
            LogDir.Pause("unable to move to beginning of "u8, patterns[i], ", pausing: "u8);
        fixed (byte* p = line)
            while (Native.write(fd, p, 1001) != 1001)
            {
                LogDir.Pause("unable to write to "u8, patterns[i], ", pausing: "u8);
                while (Native.lseek(fd, 0, Native.SEEK_SET) == -1)
                    LogDir.Pause("unable to move to beginning of "u8, patterns[i], ", pausing: "u8);
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

/// <summary>One log directory: its lock, current file, rotation and processor.</summary>
sealed unsafe class LogDir
{
    const int ModelBuffer = 512;
    readonly byte[] name;
    readonly ulong size, num;
    readonly byte[] processor;
    int fdDir, fdCurrent;
    /// <summary>Bytes in current, counting those accepted but not yet written.</summary>
    ulong bytes;
    public bool Selected;

    // pending[0, written) is on disk, [written, accepted) is accepted for current and
    // [accepted, end) is what 0.76 would still hold in its 512-byte buffer.
    readonly byte[] pending = new byte[32 * 1024];
    int written, accepted, end;

    public LogDir(byte[] name, ulong size, ulong num, byte[] processor)
    {
        this.name = name;
        this.size = size;
        this.num = num;
        this.processor = processor;
    }

    static ReadOnlySpan<byte> Fatal => "multilog: fatal: "u8;

    public static void Pause(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c,
        ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default)
    {
        Errors.WarnSys(Native.Errno, Multilog.Warning, a, b, c, d, e);
        Sleep.Seconds(5);
    }

    /// <summary>Locks the directory and recovers what a crash left (all before any input).</summary>
    public void Start()
    {
        if (Native.fchdir(Multilog.StartDir) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to switch to starting directory: "u8);
        fixed (byte* z = Args.Z(name)) Native.mkdir(z, 0x1c0);
        fdDir = Files.OpenRead(name);
        if (fdDir == -1 || Native.fchdir(fdDir) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to open directory "u8, name, ": "u8);
        int fdLock = Files.OpenAppend("lock"u8);
        if (fdLock == -1 || Native.flock(fdLock, Native.LOCK_EX | Native.LOCK_NB) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to lock directory "u8, name, ": "u8);

        if (Files.Stat("current"u8, out var st) == -1)
        {
            if (Native.Errno != Native.ENOENT) Errors.DieSys(111, Native.Errno, Fatal, "unable to stat "u8, name, "/current: "u8);
        }
        else if ((st.Mode & 0x40) != 0)
        {
            fdCurrent = Files.OpenAppend("current"u8);
            if (fdCurrent == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to append to "u8, name, "/current: "u8);
            if (Native.fchmod(fdCurrent, 0x1a4) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to set mode of "u8, name, "/current: "u8);
            bytes = (ulong)st.Size;
            return;
        }

        RemoveOrDie("state"u8);
        RemoveOrDie("newstate"u8);
        bool processed = false;
        if (Files.Stat("processed"u8, out st) == -1)
        {
            if (Native.Errno != Native.ENOENT) Errors.DieSys(111, Native.Errno, Fatal, "unable to stat "u8, name, "/processed: "u8);
        }
        else processed = (st.Mode & 0x40) != 0;
        if (processed)
        {
            RemoveOrDie("previous"u8);
            Finish("processed"u8, (byte)'s');
        }
        else
        {
            RemoveOrDie("processed"u8);
            Finish("previous"u8, (byte)'u');
        }
        Finish("current"u8, (byte)'u');

        int fd = Files.OpenTrunc("state"u8);
        if (fd == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to write to "u8, name, "/state: "u8);
        Native.close(fd);
        fdCurrent = Files.OpenAppend("current"u8);
        if (fdCurrent == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to write to "u8, name, "/current: "u8);
        if (Native.fchmod(fdCurrent, 0x1a4) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to set mode of "u8, name, "/current: "u8);
        bytes = 0;
    }

    void RemoveOrDie(ReadOnlySpan<byte> file)
    {
        if (Files.Unlink(file) == -1 && Native.Errno != Native.ENOENT)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to remove "u8, name, "/"u8, file, ": "u8);
    }

    // ---- output, modelled on 0.76's buffer_put into a 512-byte buffer ----

    public void Put(ReadOnlySpan<byte> s)
    {
        if (s.Length > ModelBuffer - (end - accepted))
        {
            ModelFlush();
            if (s.Length > ModelBuffer)
            {
                Append(s);
                ModelFlush();
                return;
            }
        }
        Append(s);
    }

    /// <summary>Bytes past the first 1000 of a line: 0.76 puts them one at a time.</summary>
    public void PutBytewise(ReadOnlySpan<byte> s)
    {
        while (s.Length > 0)
        {
            int room = ModelBuffer - (end - accepted);
            if (room == 0)
            {
                ModelFlush();
                room = ModelBuffer;
            }
            int n = Math.Min(room, s.Length);
            Append(s.Slice(0, n));
            s = s.Slice(n);
        }
    }

    void Append(ReadOnlySpan<byte> s)
    {
        if (pending.Length - end < s.Length)
        {
            Write();
            int held = end - accepted;
            pending.AsSpan(accepted, held).CopyTo(pending);
            written = accepted = 0;
            end = held;
        }
        s.CopyTo(pending.AsSpan(end));
        end += s.Length;
    }

    /// <summary>0.76's buffer_flush: its write function on the buffered bytes until all are taken.</summary>
    public void ModelFlush()
    {
        while (accepted < end) accepted += Take(accepted, end - accepted);
    }

    /// <summary>0.76's write function for current: a file never exceeds the size; near the
    /// limit a write stops after the last newline and a write ending a line rotates.</summary>
    int Take(int pos, int len)
    {
        if (bytes >= size) FullCurrent();
        if ((ulong)len >= size - bytes) len = (int)(size - bytes);
        if (bytes + (ulong)len >= size - 2000)
        {
            int nl = pending.AsSpan(pos, len).LastIndexOf((byte)'\n');
            if (nl >= 0) len = nl + 1;
        }
        bytes += (ulong)len;
        if (bytes >= size - 2000 && pending[pos + len - 1] == '\n')
        {
            accepted = pos + len;
            FullCurrent();
        }
        return len;
    }

    /// <summary>Writes the accepted bytes to current; disk errors pause and retry.</summary>
    void Write()
    {
        fixed (byte* p = pending)
            while (written < accepted)
            {
                nint w = Native.write(fdCurrent, p + written, accepted - written);
                if (w > 0) { written += (int)w; continue; }
                if (w == -1 && Native.Errno == Native.EINTR) continue;
                Pause("unable to write to "u8, name, "/current, pausing: "u8);
            }
    }

    /// <summary>Before each read: everything 0.76 would have flushed is written.</summary>
    public void Flush()
    {
        ModelFlush();
        Write();
    }

    public void ForceRotate()
    {
        Flush();
        if (bytes > 0) FullCurrent();
    }

    /// <summary>End of input or TERM: flush, sync and mark current complete (mode 0744).</summary>
    public void Close()
    {
        Flush();
        while (Native.fsync(fdCurrent) == -1) Pause("unable to write "u8, name, "/current to disk, pausing: "u8);
        while (Native.fchmod(fdCurrent, 0x1e4) == -1) Pause("unable to set mode of "u8, name, "/current, pausing: "u8);
    }

    // ---- rotation ----

    void FullCurrent()
    {
        Write();
        while (Native.fchdir(fdDir) == -1) Pause("unable to switch to "u8, name, ", pausing: "u8);
        while (Native.fsync(fdCurrent) == -1) Pause("unable to write "u8, name, "/current to disk, pausing: "u8);
        Native.close(fdCurrent);
        while (Files.Rename("current"u8, "previous"u8) == -1)
            Pause("unable to rename current to previous in directory "u8, name, ", pausing: "u8);
        while ((fdCurrent = Files.OpenAppend("current"u8)) == -1) Pause("unable to create "u8, name, "/current, pausing: "u8);
        bytes = 0;
        while (Native.fchmod(fdCurrent, 0x1a4) == -1) Pause("unable to set mode of "u8, name, "/current, pausing: "u8);
        while (Files.Chmod("previous"u8, 0x1e4) == -1) Pause("unable to set mode of "u8, name, "/previous, pausing: "u8);
        if (processor == null)
        {
            Finish("previous"u8, (byte)'s');
            return;
        }
        RunProcessor();
        int fd;
        while ((fd = Files.OpenAppend("processed"u8)) == -1) Pause("unable to create "u8, name, "/processed, pausing: "u8);
        while (Native.fsync(fd) == -1) Pause("unable to write "u8, name, "/processed to disk, pausing: "u8);
        while (Native.fchmod(fd, 0x1e4) == -1) Pause("unable to set mode of "u8, name, "/processed, pausing: "u8);
        Native.close(fd);
        while ((fd = Files.OpenAppend("newstate"u8)) == -1) Pause("unable to create "u8, name, "/newstate, pausing: "u8);
        while (Native.fsync(fd) == -1) Pause("unable to write "u8, name, "/newstate to disk, pausing: "u8);
        Native.close(fd);
        while (Files.Unlink("previous"u8) == -1) Pause("unable to remove "u8, name, "/previous, pausing: "u8);
        while (Files.Rename("newstate"u8, "state"u8) == -1)
            Pause("unable to rename newstate to state in directory "u8, name, ", pausing: "u8);
        Finish("processed"u8, (byte)'s');
    }

    /// <summary>sh -c PROC in the directory, fd 0 previous, 1 processed, 4 state, 5 newstate,
    /// until it exits 0; every failure is reported and retried after 5 seconds.</summary>
    void RunProcessor()
    {
        var argv = new[] { "sh"u8.ToArray(), "-c"u8.ToArray(), processor };
        for (;;)
        {
            int pid = Spawn(argv);
            if (pid < 0) continue;
            int status = Exec.WaitPid(pid);
            if (status == -1) Pause("wait failed for processor in "u8, name, ", pausing: "u8);
            else if ((status & 0x7f) != 0) Pause("processor crashed in "u8, name, ", pausing: "u8);
            else if ((status >> 8 & 0xff) == 0) return;
            Errors.Warn(Multilog.Warning, "processor failed in "u8, name, ", pausing"u8);
            Sleep.Seconds(5);
        }
    }

    /// <summary>Starts the processor; its own failures (as 0.76's child reports them) make it
    /// exit 111. Returns the pid, or -1 after pausing if it could not be started.</summary>
    int Spawn(byte[][] argv)
    {
        Span<int> fds = stackalloc int[4];
        fds[0] = Files.OpenRead("previous"u8);
        fds[1] = fds[0] == -1 ? -1 : Files.OpenTrunc("processed"u8);
        fds[2] = fds[1] == -1 ? -1 : Files.OpenRead("state"u8);
        fds[3] = fds[2] == -1 ? -1 : Files.OpenTrunc("newstate"u8);
        int err = Native.Errno;
        // Out of the way of 0..5, so that the moves into place cannot overwrite each other.
        for (int i = 0; i < 4; i++)
            if (fds[i] != -1)
            {
                int high = Native.fcntl(fds[i], Native.F_DUPFD_CLOEXEC, 10);
                Native.close(fds[i]);
                fds[i] = high;
            }
        int pid = 0, execError = 0;
        if (fds[3] != -1)
        {
            pid = Exec.Spawn(argv, null, [Exec.FdDup2, fds[0], 0, Exec.FdDup2, fds[1], 1,
                Exec.FdDup2, fds[2], 4, Exec.FdDup2, fds[3], 5], out execError, file: "/bin/sh"u8.ToArray());
            err = execError;
        }
        for (int i = 0; i < 4; i++) if (fds[i] != -1) Native.close(fds[i]);
        if (pid < 0)
        {
            Errors.WarnSys(-pid, Multilog.Warning, "unable to fork for processor in "u8, name, ", pausing: "u8);
            Sleep.Seconds(5);
            return -1;
        }
        if (fds[3] == -1 || execError != 0)
            Errors.WarnSys(err, Fatal, "unable to run "u8, processor, ": "u8);
        if (fds[3] == -1)
        {
            Errors.Warn(Multilog.Warning, "processor failed in "u8, name, ", pausing"u8);
            Sleep.Seconds(5);
            return -1;
        }
        return pid;
    }

    // ---- finished files ----

    /// <summary>Renames FILE to @TAI64N.CODE (by link and unlink), then removes the oldest
    /// finished files until fewer than N are left.</summary>
    void Finish(ReadOnlySpan<byte> file, byte code)
    {
        for (;;)
        {
            if (Files.Stat(file, out var st) == 0)
            {
                if (st.Nlink == 1) LinkToStamp(file, code);
                break;
            }
            if (Native.Errno == Native.ENOENT) return;
            Pause("unable to stat "u8, name, "/"u8, file, ", pausing: "u8);
        }
        while (Files.Unlink(file) == -1) Pause("unable to remove "u8, name, "/"u8, file, ", pausing: "u8);
        while (FilesFit() == -1) Pause("unable to read "u8, name, ", pausing: "u8);
    }

    void LinkToStamp(ReadOnlySpan<byte> file, byte code)
    {
        byte* fn = stackalloc byte[28];
        var f = new Span<byte>(fn, 28);
        fixed (byte* z = Args.Z(file))
            for (;;)
            {
                Tai64.Stamp(f);
                fn[25] = (byte)'.';
                fn[26] = code;
                fn[27] = 0;
                if (Native.link(z, fn) == 0) return;
                Pause("unable to link to "u8, name, "/"u8, f.Slice(0, 27), ", pausing: "u8);
            }
    }

    /// <summary>1 when fewer than N finished files remain, 0 after removing the oldest, -1 on error.</summary>
    int FilesFit()
    {
        for (;;)
        {
            Span<byte> oldest = stackalloc byte[25];
            "@z"u8.CopyTo(oldest);
            int oldestLength = 2;
            ulong count = 0;
            nint dir;
            fixed (byte* dot = "."u8) dir = Native.opendir(dot); // u8 literals end in a NUL
            if (dir == 0) return -1;
            byte* e;
            while ((e = Native.readdir(dir)) != null)
            {
                var n = new ReadOnlySpan<byte>(e + 19, Args.Length(e + 19));
                if (n.Length < 25 || n[0] != '@') continue;
                count++;
                if (n.SequenceCompareTo(oldest.Slice(0, oldestLength)) < 0)
                {
                    n.Slice(0, 25).CopyTo(oldest);
                    oldestLength = 25;
                }
            }
            Native.closedir(dir);
            if (count < num) return 1;
            fixed (byte* dot = "."u8) dir = Native.opendir(dot);
            if (dir == 0) return -1;
            while ((e = Native.readdir(dir)) != null)
            {
                var n = new ReadOnlySpan<byte>(e + 19, Args.Length(e + 19));
                if (n.Length >= 25 && n[0] == '@' && n.StartsWith(oldest.Slice(0, oldestLength)))
                {
                    Native.unlink(e + 19);
                    break;
                }
            }
            Native.closedir(dir);
        }
    }
}
