// D. J. Bernstein's constant database (cdb). CdbMake writes one exactly as djb's cdb_make
// does (records streamed in insertion order from offset 2048, then the 256 hash tables, then
// the header), so the bytes equal those of cdbmake and tcprules for the same records. Cdb
// reads one without trusting it: every position and length is checked against the file
// size; a bad one is a format error (errno EPROTO, "protocol error"), never an exception, a
// crash or an endless loop.
using System.Collections.Generic;

namespace Toolkit;

public static class CdbHash
{
    public const uint Start = 5381;
    public static uint Add(uint h, byte c) => unchecked((h << 5) + h) ^ c;
    public static uint Of(ReadOnlySpan<byte> key)
    {
        uint h = Start;
        foreach (byte c in key) h = Add(h, c);
        return h;
    }
}

/// <summary>djb's cdb_make: Create, then AddBegin/Put/AddEnd (or Add) per record, then Commit.
/// On failure the methods return false with Errno set (ENOMEM when the file would pass 4 GB).</summary>
public sealed class CdbMake
{
    public enum Result { Done, WriteFailed, RenameFailed }

    readonly int fd;
    readonly Output output;
    uint pos = 2048;
    uint[] hashes = new uint[256], positions = new uint[256];
    int count;
    public int Errno;

    CdbMake(int fd) { this.fd = fd; output = new Output(fd, 65536); }

    /// <summary>cdb_make_start: positions fd after the header.</summary>
    static CdbMake Start(int fd, out int errno)
    {
        errno = 0;
        if (Native.lseek(fd, 2048, Native.SEEK_SET) == -1) { errno = Native.Errno; return null; }
        return new CdbMake(fd);
    }

    bool Advance(uint len)
    {
        uint next = unchecked(pos + len);
        if (next < len) { Errno = Native.ENOMEM; return false; }
        pos = next;
        return true;
    }

    bool Fail()
    {
        Errno = output.Errno;
        return false;
    }

    /// <summary>Writes a record's lengths; its key and data bytes follow through Put.</summary>
    public bool AddBegin(uint keyLength, uint dataLength)
    {
        Span<byte> b = stackalloc byte[8];
        Pack(b, keyLength);
        Pack(b.Slice(4), dataLength);
        output.Put(b);
        return output.Errno == 0 || Fail();
    }

    public bool Put(ReadOnlySpan<byte> bytes)
    {
        output.Put(bytes);
        return output.Errno == 0 || Fail();
    }

    /// <summary>Ends the record begun by AddBegin; hash is CdbHash.Of(key).</summary>
    public bool AddEnd(uint keyLength, uint dataLength, uint hash)
    {
        if (count == hashes.Length)
        {
            if (count >= 0x1fffffff) { Errno = Native.ENOMEM; return false; }
            Array.Resize(ref hashes, count * 2);
            Array.Resize(ref positions, count * 2);
        }
        hashes[count] = hash;
        positions[count] = pos;
        count++;
        return Advance(8) && Advance(keyLength) && Advance(dataLength);
    }

    public bool Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        AddBegin((uint)key.Length, (uint)data.Length) && Put(key) && Put(data) &&
        AddEnd((uint)key.Length, (uint)data.Length, CdbHash.Of(key));

    /// <summary>Creates (truncates) TMP with mode 0644 and starts a cdb in it; null with errno on failure.</summary>
    public static CdbMake Create(ReadOnlySpan<byte> tmp, out int errno)
    {
        int fd = Files.OpenTrunc(tmp);
        if (fd == -1) { errno = Native.Errno; return null; }
        var make = Start(fd, out errno);
        if (make == null) Native.close(fd);
        return make;
    }

    /// <summary>Finishes the cdb, fsyncs and closes it, then renames TMP over FINAL: the old
    /// file is replaced atomically or not at all. A failure leaves its error number in Errno.</summary>
    public Result Commit(ReadOnlySpan<byte> tmp, ReadOnlySpan<byte> final)
    {
        if (!Finish()) return Result.WriteFailed;
        if (Native.fsync(fd) == -1 || Native.close(fd) == -1) { Errno = Native.Errno; return Result.WriteFailed; }
        if (Files.Rename(tmp, final) == -1) { Errno = Native.Errno; return Result.RenameFailed; }
        return Result.Done;
    }

    /// <summary>Writes the hash tables and the header.</summary>
    bool Finish()
    {
        var tableCount = new int[256];
        for (int i = 0; i < count; i++) tableCount[hashes[i] & 255]++;
        var start = new int[256];
        int sum = 0, widest = 0;
        for (int t = 0; t < 256; t++) { start[t] = sum; sum += tableCount[t]; widest = Math.Max(widest, tableCount[t]); }

        // The entries grouped by table, each group in insertion order.
        var byTableHash = new uint[count];
        var byTablePos = new uint[count];
        var fill = (int[])start.Clone();
        for (int i = 0; i < count; i++)
        {
            int at = fill[hashes[i] & 255]++;
            byTableHash[at] = hashes[i];
            byTablePos[at] = positions[i];
        }
        hashes = positions = null;

        var header = new byte[2048];
        var slotHash = new uint[2 * widest];
        var slotPos = new uint[2 * widest];
        Span<byte> slot = stackalloc byte[8];
        for (int t = 0; t < 256; t++)
        {
            int n = tableCount[t];
            uint len = (uint)(2 * n);
            Pack(header.AsSpan(8 * t), pos);
            Pack(header.AsSpan(8 * t + 4), len);
            Array.Clear(slotHash, 0, (int)len);
            Array.Clear(slotPos, 0, (int)len);
            for (int u = 0; u < n; u++)
            {
                uint h = byTableHash[start[t] + u];
                uint where = (h >> 8) % len;
                while (slotPos[where] != 0) if (++where == len) where = 0;
                slotHash[where] = h;
                slotPos[where] = byTablePos[start[t] + u];
            }
            for (uint u = 0; u < len; u++)
            {
                Pack(slot, slotHash[u]);
                Pack(slot.Slice(4), slotPos[u]);
                output.Put(slot);
                if (!Advance(8)) return false;
            }
        }
        if (!output.Flush()) return Fail();
        if (Native.lseek(fd, 0, Native.SEEK_SET) == -1) { Errno = Native.Errno; return false; }
        output.Put(header);
        return output.Flush() || Fail();
    }

    static void Pack(Span<byte> b, uint u)
    {
        b[0] = (byte)u; b[1] = (byte)(u >> 8); b[2] = (byte)(u >> 16); b[3] = (byte)(u >> 24);
    }
}

/// <summary>What a lookup in a cdb came to: Error leaves the error number in the reader's Errno.</summary>
public enum Found { Error = -1, No = 0, Yes = 1 }

/// <summary>A cdb reader: Find(key), then FindNext(key) for the later records with the same key;
/// Data() reads what was found.</summary>
public sealed class Cdb : IDisposable
{
    readonly int fd;
    readonly ulong size;
    uint loop, khash, kpos, hpos, hslots;
    public ulong DataPosition, DataLength;
    public int Errno;

    Cdb(int fd, ulong size) { this.fd = fd; this.size = size; }

    /// <summary>Opens the file (djb's open_read); null with errno if that fails, or EINVAL for
    /// a file of size 0 (empty, /dev/null, a fifo): ucspi-tcp's cdb maps the file, and in
    /// Debian's build a failed mapping is kept (the compiler folds its test `x + 1` to true), so
    /// every read fails and what is reported is the EINVAL of unmapping it.</summary>
    public static Cdb Open(ReadOnlySpan<byte> path, out int errno)
    {
        errno = 0;
        int fd = Files.OpenRead(path);
        if (fd == -1) { errno = Native.Errno; return null; }
        var cdb = OpenFd(fd, out errno);
        if (cdb != null && cdb.size != 0) return cdb;
        // size 0, or a fifo, which cannot seek
        if (cdb != null || errno == Native.ESPIPE) errno = Native.EINVAL;
        Native.close(fd);
        return null;
    }

    /// <summary>A reader over an open, seekable descriptor (closed by Dispose); null with errno.</summary>
    public static Cdb OpenFd(int fd, out int errno)
    {
        errno = 0;
        long end = Native.lseek(fd, 0, Native.SEEK_END);
        if (end == -1) { errno = Native.Errno; return null; }
        return new Cdb(fd, (ulong)end);
    }

    public void Dispose() => Native.close(fd);

    /// <summary>Reads bytes at pos; false (Errno) if they are not all inside the file.</summary>
    public bool Read(Span<byte> dst, ulong pos)
    {
        if (pos > size || size - pos < (ulong)dst.Length) { Errno = Native.EPROTO; return false; }
        while (dst.Length > 0)
        {
            var block = Block(pos / BlockSize);
            if (block == null) return false;
            int offset = (int)(pos % BlockSize);
            if (block.Length <= offset) { Errno = Native.EPROTO; return false; }
            int n = Math.Min(dst.Length, block.Length - offset);
            block.AsSpan(offset, n).CopyTo(dst);
            dst = dst.Slice(n);
            pos += (ulong)n;
        }
        return true;
    }

    // Files are read in blocks through pread (not mmap: a file truncated while it is being
    // read is then a format error, not SIGBUS); recent blocks are kept.
    const int BlockSize = 4096, CachedBlocks = 256;
    readonly Dictionary<ulong, byte[]> blocks = new();
    ulong lastNumber = ulong.MaxValue;
    byte[] lastBlock;

    byte[] Block(ulong number)
    {
        if (number == lastNumber) return lastBlock;
        if (!blocks.TryGetValue(number, out var block)) block = ReadBlock(number);
        if (block != null) { lastNumber = number; lastBlock = block; }
        return block;
    }

    byte[] ReadBlock(ulong number)
    {
        var block = new byte[Math.Min((ulong)BlockSize, size - number * BlockSize)];
        int done = 0;
        while (done < block.Length)
        {
            int r = Sys.Pread(fd, block.AsSpan(done), (long)(number * BlockSize) + done);
            if (r == -1) { Errno = Native.Errno; return null; }
            if (r == 0) break;
            done += r;
        }
        if (done < block.Length) Array.Resize(ref block, done);
        if (blocks.Count == CachedBlocks) blocks.Clear();
        blocks[number] = block;
        return block;
    }

    bool ReadPair(ulong pos, out uint a, out uint b)
    {
        Span<byte> buf = stackalloc byte[8];
        a = b = 0;
        if (!Read(buf, pos)) return false;
        a = Unpack(buf);
        b = Unpack(buf.Slice(4));
        return true;
    }

    public void FindStart() => loop = 0;

    public Found Find(ReadOnlySpan<byte> key)
    {
        FindStart();
        return FindNext(key);
    }

    public Found FindNext(ReadOnlySpan<byte> key)
    {
        if (loop == 0)
        {
            uint u = CdbHash.Of(key);
            if (!ReadPair((u << 3) & 2047, out uint position, out uint slots)) return Found.Error;
            if (slots == 0) return Found.No;
            hpos = position;
            hslots = slots;
            khash = u;
            kpos = hpos + ((u >> 8) % hslots << 3);
        }
        // Positions are 32-bit and wrap, as in djb's cdb and freecdb (a corrupt table may point
        // past 4 GB and land inside the file). A slot probed twice gives what it gave before,
        // so once more slots have been probed than the file holds, nothing new can come: the
        // search ends there, where the C reader goes on to hslots (up to 2^32 probes).
        Span<byte> chunk = stackalloc byte[MatchChunk];
        while (loop < hslots)
        {
            if (loop > size / 8) return Found.No;
            if (!ReadPair(kpos, out uint h, out uint pos)) return Found.Error;
            if (pos == 0) return Found.No;
            loop++;
            kpos += 8;
            if (kpos == hpos + (hslots << 3)) kpos = hpos;
            if (h != khash) continue;
            if (!ReadPair(pos, out uint klen, out uint dlen)) return Found.Error;
            if (klen != (uint)key.Length) continue;
            uint at = pos + 8;
            bool same = true;
            for (int done = 0; done < key.Length && same; done += chunk.Length)
            {
                var part = chunk.Slice(0, Math.Min(chunk.Length, key.Length - done));
                if (!Read(part, at + (uint)done)) return Found.Error;
                same = part.SequenceEqual(key.Slice(done, part.Length));
            }
            if (!same) continue;
            DataPosition = at + klen;
            DataLength = dlen;
            return Found.Yes;
        }
        return Found.No;
    }

    /// <summary>djb's match() compares the key 32 bytes at a time: a key that differs in its
    /// first 32 bytes is no match even if the record runs past the end of the file.</summary>
    const int MatchChunk = 32;

    /// <summary>The data of the record just found; null (Errno) if it is not inside the file.</summary>
    public byte[] Data()
    {
        if (DataPosition > size || size - DataPosition < DataLength) { Errno = Native.EPROTO; return null; }
        if (DataLength > int.MaxValue - 64) { Errno = Native.ENOMEM; return null; }
        var data = new byte[DataLength];
        return Read(data, DataPosition) ? data : null;
    }

    public static uint Unpack(ReadOnlySpan<byte> b) => (uint)(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);
}
