// multilog's log directory: its lock, crash recovery, 512-byte buffer, current file,
// rotation and processor, as 0.76's (multilog.c's cyclog); rotation by age (RN) beyond it.
// Finished files are in multilog.archive.cs.
using Toolkit;

/// <summary>What the script's sN, nN, !PROC, RN, SN and z set for the directories that follow.</summary>
struct DirSettings
{
    public ulong Size, Num;
    public byte[] Processor;
    /// <summary>RN: rotate current once its oldest line is N seconds old; 0: never.</summary>
    public ulong Period;
    /// <summary>SN: the most bytes the finished files may take together; 0: no cap.</summary>
    public ulong Cap;
    /// <summary>z: finished files are gzipped.</summary>
    public bool Compress;
}

/// <summary>One log directory: its lock, current file, rotation and processor.</summary>
sealed partial class LogDir
{
    readonly byte[] name;
    readonly ulong size, num;
    readonly byte[] processor;
    readonly long periodMs;
    int fdDir, fdCurrent;
    /// <summary>RN: when (on Clock) current's oldest line comes of age; MaxValue: no line.</summary>
    public long AgeDeadline { get; private set; } = long.MaxValue;
    /// <summary>Bytes in current as 0.76 counts them: those its write function has taken.</summary>
    ulong bytes;
    public bool Selected;

    // data[0, written) is in current; [written, taken) is taken by the write function but not
    // yet written; [taken, queued) is flushed from the buffer and waits in the journal;
    // [queued, end) is what 0.76 holds in its 512-byte buffer. A replay after a failed write
    // (Journal.Drain) can find written past taken.
    const int ModelBuffer = 512;
    readonly byte[] data = new byte[Capacity];
    // Room for what a 64 KB read of 100-byte lines gives with stamps, so that a drain per
    // read is enough; large enough an array that its pages stay untouched until used.
    const int Capacity = 128 * 1024;
    int written, taken, queued, end;
    ulong segmentBytes;
    int segmentTaken;

    public LogDir(byte[] name, DirSettings settings)
    {
        this.name = name;
        size = settings.Size;
        num = settings.Num;
        processor = settings.Processor;
        periodMs = (long)Math.Min(settings.Period, long.MaxValue / 4000) * 1000;
        cap = settings.Cap;
        compress = settings.Compress;
    }

    public static void Pause(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c,
        ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default) => Pause(Native.Errno, a, b, c, d, e);

    public static void Pause(int errno, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c,
        ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default)
    {
        Errors.WarnSys(errno, Multilog.Warning, a, b, c, d, e);
        Sleep.Seconds(5);
    }

    /// <summary>Locks the directory and recovers what a crash left (all before any input).</summary>
    public void Start()
    {
        if (Native.fchdir(Multilog.StartDir) == -1)
            Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to switch to starting directory: "u8);
        Files.Mkdir(name, Mode.Rwx______);
        fdDir = Files.OpenRead(name);
        if (fdDir == -1 || Native.fchdir(fdDir) == -1)
            Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to open directory "u8, name, ": "u8);
        int fdLock = Files.OpenAppend("lock"u8);
        if (fdLock == -1 || Sys.Lock(fdLock, noWait: true) == -1)
            Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to lock directory "u8, name, ": "u8);

        if (Files.Stat("current"u8, out var st) == -1)
        {
            if (Native.Errno != Native.ENOENT) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to stat "u8, name, "/current: "u8);
        }
        else if ((st.Mode & Mode.OwnerExecute) != 0)
        {
            fdCurrent = Files.OpenAppend("current"u8);
            if (fdCurrent == -1) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to append to "u8, name, "/current: "u8);
            if (Native.fchmod(fdCurrent, Mode.Rw_r__r__) == -1) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to set mode of "u8, name, "/current: "u8);
            bytes = (ulong)st.Size;
            // Its lines are no younger than its last write.
            if (periodMs != 0 && bytes > 0)
            {
                Tai64.Now(out ulong now, out _);
                long age = Math.Max(0, (long)(now - Tai64.Epoch) - st.Mtime) * 1000;
                AgeDeadline = Clock.Now() + Math.Max(0, periodMs - age);
            }
            return;
        }

        // 0.76 does not check these removals: what cannot go is found by what follows.
        if (compress) Files.Unlink(Compressing);
        Files.Unlink("state"u8);
        Files.Unlink("newstate"u8);
        bool processed = false;
        if (Files.Stat("processed"u8, out st) == -1)
        {
            if (Native.Errno != Native.ENOENT) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to stat "u8, name, "/processed: "u8);
        }
        else processed = (st.Mode & Mode.OwnerExecute) != 0;
        if (processed)
        {
            Files.Unlink("previous"u8);
            Finish("processed"u8, (byte)'s');
        }
        else
        {
            Files.Unlink("processed"u8);
            Finish("previous"u8, (byte)'u');
        }
        Finish("current"u8, (byte)'u');

        int fd = Files.OpenTrunc("state"u8);
        if (fd == -1) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to write to "u8, name, "/state: "u8);
        Native.close(fd);
        fdCurrent = Files.OpenAppend("current"u8);
        if (fdCurrent == -1) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to write to "u8, name, "/current: "u8);
        if (Native.fchmod(fdCurrent, Mode.Rw_r__r__) == -1) Errors.DieSys(111, Native.Errno, Multilog.Fatal, "unable to set mode of "u8, name, "/current: "u8);
        bytes = 0;
    }

    // ---- output: 0.76's 512-byte buffer, whose flushes go to the journal ----

    public void Put(ReadOnlySpan<byte> s)
    {
        if (s.Length > ModelBuffer - (end - queued))
        {
            Flush();
            if (s.Length > ModelBuffer)
            {
                Append(s);
                Flush();
                return;
            }
        }
        Append(s);
    }

    public void PutByte(byte c)
    {
        if (end - queued == ModelBuffer) Flush();
        Append(new ReadOnlySpan<byte>(in c));
    }

    /// <summary>Bytes past the first 1000 of a line: 0.76 puts them one at a time.</summary>
    public void PutBytewise(ReadOnlySpan<byte> s)
    {
        while (s.Length > 0)
        {
            if (end - queued == ModelBuffer) Flush();
            int n = Math.Min(ModelBuffer - (end - queued), s.Length);
            Append(s.Slice(0, n));
            s = s.Slice(n);
        }
    }

    void Append(ReadOnlySpan<byte> s)
    {
        if (data.Length - end < s.Length) Journal.Drain();
        s.CopyTo(data.AsSpan(end));
        end += s.Length;
        // After the copy: a drain above may have rotated, and these bytes start the new current.
        if (periodMs != 0 && AgeDeadline == long.MaxValue) AgeDeadline = Clock.Now() + periodMs;
    }

    /// <summary>0.76's buffer_flush: the buffered bytes go to the write function, in the
    /// journal's order.</summary>
    public void Flush()
    {
        if (end == queued) return;
        Journal.Add(this, end - queued);
        queued = end;
    }

    /// <summary>After a drain everything is written: the buffer moves to the front.</summary>
    public void Compact()
    {
        data.AsSpan(queued, end - queued).CopyTo(data);
        end -= queued;
        written = taken = queued = 0;
    }

    // ---- 0.76's write function for current (c_write), on the journal's units ----

    /// <summary>True when current is full: the next write rotates first.</summary>
    public bool Full => bytes >= size;

    /// <summary>True when the last write ended a line near the size: rotate now.</summary>
    public bool EndedLineNearSize => bytes >= size - 2000 && data[taken - 1] == '\n';

    /// <summary>One call of the write function on the next <paramref name="left"/> bytes: a
    /// file never exceeds the size, and near the limit a write stops after the last newline.
    /// Returns how many bytes it took. Taken bytes are written by WriteTaken, or at once
    /// when <paramref name="exact"/> (as 0.76 writes them, skipping what is already on disk).</summary>
    public int Take(int left, bool exact)
    {
        int len = left;
        if ((ulong)len >= size - bytes) len = (int)(size - bytes);
        if (bytes + (ulong)len >= size - 2000)
        {
            int nl = data.AsSpan(taken, len).LastIndexOf((byte)'\n');
            if (nl >= 0) len = nl + 1;
        }
        int w = len;
        if (exact && written < taken + len) w = written > taken ? written - taken : WriteNow(len);
        taken += w;
        bytes += (ulong)w;
        return w;
    }

    int WriteNow(int len)
    {
        for (;;)
        {
            int w = Sys.Write(fdCurrent, data.AsSpan(taken, len));
            if (w > 0)
            {
                written = taken + w;
                return w;
            }
            Pause("unable to write to "u8, name, "/current, pausing: "u8);
        }
    }

    /// <summary>Writes what was taken since the last write; false if a write failed or fell
    /// short (the journal then replays the segment exactly).</summary>
    public bool WriteTaken()
    {
        while (written < taken)
        {
            int w = Sys.Write(fdCurrent, data.AsSpan(written, taken - written));
            if (w > 0) written += w;
            if (w <= 0 || written < taken) return false;
        }
        return true;
    }

    public int Unwritten => taken - written;

    /// <summary>True if the file system of current has room for n bytes and a margin of
    /// blocks for partly used ones and metadata, so that no write can run out of space.</summary>
    public bool HasRoom(long n)
    {
        if (Sys.StatFs(fdCurrent, out var st) == -1) return false;
        return st.Bsize > 0 && st.Bavail >= (ulong)(n / st.Bsize + RoomMargin);
    }

    const int RoomMargin = 64;

    public void StartSegment()
    {
        segmentBytes = bytes;
        segmentTaken = taken;
    }

    public void BackToSegment()
    {
        bytes = segmentBytes;
        taken = segmentTaken;
    }

    /// <summary>ALRM: rotate a non-empty current (everything flushed is written).</summary>
    public void ForceRotate()
    {
        if (bytes > 0) FullCurrent();
    }

    /// <summary>RN: rotate current once its oldest line is of age (everything flushed is
    /// written); an empty current is never rotated.</summary>
    public void RotateIfOld(long now)
    {
        if (now < AgeDeadline) return;
        if (bytes > 0) FullCurrent();
        else AgeDeadline = long.MaxValue;
    }

    /// <summary>End of input or TERM: flush, sync and mark current complete (mode 0744).</summary>
    public void Close()
    {
        Flush();
        Journal.Drain();
        while (Native.fsync(fdCurrent) == -1) Pause("unable to write "u8, name, "/current to disk, pausing: "u8);
        while (Native.fchmod(fdCurrent, Mode.Rwxr__r__) == -1) Pause("unable to set mode of "u8, name, "/current, pausing: "u8);
    }

    // ---- rotation ----

    /// <summary>Rotates current; everything taken is written (Journal.Drain).</summary>
    public void FullCurrent()
    {
        while (Native.fchdir(fdDir) == -1) Pause("unable to switch to "u8, name, ", pausing: "u8);
        while (Native.fsync(fdCurrent) == -1) Pause("unable to write "u8, name, "/current to disk, pausing: "u8);
        Native.close(fdCurrent);
        while (Files.Rename("current"u8, "previous"u8) == -1)
            Pause("unable to rename current to previous in directory "u8, name, ", pausing: "u8);
        while ((fdCurrent = Files.OpenAppend("current"u8)) == -1) Pause("unable to create "u8, name, "/current, pausing: "u8);
        bytes = 0;
        // What the journal holds past the rotation is the new current's first lines.
        AgeDeadline = periodMs != 0 && end > taken ? Clock.Now() + periodMs : long.MaxValue;
        while (Native.fchmod(fdCurrent, Mode.Rw_r__r__) == -1) Pause("unable to set mode of "u8, name, "/current, pausing: "u8);
        while (Files.Chmod("previous"u8, Mode.Rwxr__r__) == -1) Pause("unable to set mode of "u8, name, "/previous, pausing: "u8);
        if (processor == null)
        {
            Finish("previous"u8, (byte)'s');
            return;
        }
        RunProcessor();
        int fd;
        while ((fd = Files.OpenAppend("processed"u8)) == -1) Pause("unable to create "u8, name, "/processed, pausing: "u8);
        while (Native.fsync(fd) == -1) Pause("unable to write "u8, name, "/processed to disk, pausing: "u8);
        while (Native.fchmod(fd, Mode.Rwxr__r__) == -1) Pause("unable to set mode of "u8, name, "/processed, pausing: "u8);
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
            else if (WaitStatus.Crashed(status)) Pause("processor crashed in "u8, name, ", pausing: "u8);
            else if (WaitStatus.ExitCode(status) == 0) return;
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
            pid = Exec.Spawn(argv, null, [FdAction.Dup2(fds[0], 0), FdAction.Dup2(fds[1], 1),
                FdAction.Dup2(fds[2], 4), FdAction.Dup2(fds[3], 5)], out execError, file: "/bin/sh"u8.ToArray());
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
            Errors.WarnSys(err, Multilog.Fatal, "unable to run "u8, processor, ": "u8);
        if (fds[3] == -1)
        {
            Errors.Warn(Multilog.Warning, "processor failed in "u8, name, ", pausing"u8);
            Sleep.Seconds(5);
            return -1;
        }
        return pid;
    }
}
