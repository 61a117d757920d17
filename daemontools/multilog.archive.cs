// multilog's finished files: current, previous or processed becomes @TAI64N.s (or .u), as
// 0.76 makes them, and the oldest go so that fewer than N remain. Beyond 0.76: z gzips each
// into @TAI64N.s.gz (.u.gz) in-process (core/Gzip.cs), and SN removes the oldest until
// the finished files take at most N bytes together; both count the compressed files.
using Toolkit;

sealed partial class LogDir
{
    readonly ulong cap;
    readonly bool compress;

    /// <summary>z: where an archive is compressed before it gets its name.</summary>
    static ReadOnlySpan<byte> Compressing => "compressing"u8;

    const int StampLength = 25, NameLength = 27;
    static ReadOnlySpan<byte> CompressedSuffix => ".gz"u8;

    /// <summary>Renames FILE to @TAI64N.CODE (by link and unlink), or compresses it into
    /// @TAI64N.CODE.gz, then removes the oldest finished files until fewer than N are left
    /// (and, with a cap, until they fit in it).</summary>
    void Finish(ReadOnlySpan<byte> file, byte code)
    {
        for (;;)
        {
            if (Files.Stat(file, out var st) == 0)
            {
                if (st.Nlink == 1)
                {
                    if (compress) CompressToStamp(file, code);
                    else LinkToStamp(file, code);
                }
                break;
            }
            if (Native.Errno == Native.ENOENT) return;
            Pause("unable to stat "u8, name, "/"u8, file, ", pausing: "u8);
        }
        while (Files.Unlink(file) == -1) Pause("unable to remove "u8, name, "/"u8, file, ", pausing: "u8);
        while (FilesFit() == -1) Pause("unable to read "u8, name, ", pausing: "u8);
    }

    /// <summary>Links FILE (or, with z, the file it was compressed into) to its stamped name.</summary>
    void LinkToStamp(ReadOnlySpan<byte> file, byte code)
    {
        Span<byte> stamped = stackalloc byte[NameLength + CompressedSuffix.Length];
        int length = compress ? stamped.Length : NameLength;
        for (;;)
        {
            Tai64.Stamp(stamped);
            stamped[StampLength] = (byte)'.';
            stamped[StampLength + 1] = code;
            CompressedSuffix.CopyTo(stamped.Slice(NameLength));
            if (Files.Link(file, stamped.Slice(0, length)) == 0) return;
            Pause("unable to link to "u8, name, "/"u8, stamped.Slice(0, length), ", pausing: "u8);
        }
    }

    /// <summary>z: FILE gzipped into "compressing", on disk and mode 0744 as 0.76's finished
    /// files, then linked to @TAI64N.CODE.gz. FILE stays until then, so that a full disk or a
    /// crash loses nothing: a failure is reported and the whole is retried after a pause.</summary>
    void CompressToStamp(ReadOnlySpan<byte> file, byte code)
    {
        for (;;)
        {
            int fdIn = Files.OpenRead(file);
            if (fdIn == -1)
            {
                Pause("unable to read "u8, name, "/"u8, file, ", pausing: "u8);
                continue;
            }
            int fdOut = Files.OpenTrunc(Compressing);
            if (fdOut == -1)
            {
                Native.close(fdIn);
                Pause("unable to create "u8, name, "/"u8, Compressing, ", pausing: "u8);
                continue;
            }
            var result = Gzip.Compress(fdIn, fdOut, out int err);
            if (result == Gzip.Result.Done && (Native.fsync(fdOut) == -1 || Native.fchmod(fdOut, Mode.Rwxr__r__) == -1))
            {
                result = Gzip.Result.WriteFailed;
                err = Native.Errno;
            }
            Native.close(fdIn);
            Native.close(fdOut);
            if (result == Gzip.Result.Done) break;
            if (result == Gzip.Result.ReadFailed) Pause(err, "unable to read "u8, name, "/"u8, file, ", pausing: "u8);
            else if (result == Gzip.Result.NoMemory) Pause(err, "unable to compress "u8, name, "/"u8, file, ", pausing: "u8);
            else Pause(err, "unable to write to "u8, name, "/"u8, Compressing, ", pausing: "u8);
        }
        LinkToStamp(Compressing, code);
        while (Files.Unlink(Compressing) == -1) Pause("unable to remove "u8, name, "/"u8, Compressing, ", pausing: "u8);
    }

    /// <summary>1 when fewer than N finished files remain (and they fit in the cap), 0 after
    /// removing the oldest, -1 on error. The cap never removes the newest file: like nN,
    /// which keeps at least one, it keeps the last lines rotated out of current.</summary>
    int FilesFit()
    {
        Span<byte> oldest = stackalloc byte[StampLength];
        for (;;)
        {
            "@z"u8.CopyTo(oldest);
            int oldestLength = 2;
            ulong count = 0, total = 0;
            // As in 0.76, an error reading the directory ends the count, and a removal that
            // fails is found at the next count.
            using (var dir = Dir.Open("."u8))
            {
                if (dir == null) return -1;
                while (dir.Next(out var n))
                {
                    if (n.Length < StampLength || n[0] != '@') continue;
                    count++;
                    if (cap != 0 && Files.Stat(n, out var st) == 0) total += (ulong)st.Size;
                    if (n.SequenceCompareTo(oldest.Slice(0, oldestLength)) < 0)
                    {
                        n.Slice(0, StampLength).CopyTo(oldest);
                        oldestLength = StampLength;
                    }
                }
            }
            if (count < num && (total <= cap || count == 1)) return 1;
            using (var dir = Dir.Open("."u8))
            {
                if (dir == null) return -1;
                while (dir.Next(out var n))
                    if (n.Length >= StampLength && n[0] == '@' && n.StartsWith(oldest.Slice(0, oldestLength)))
                    {
                        Files.Unlink(n);
                        break;
                    }
            }
        }
    }
}
