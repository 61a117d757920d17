// multilog's z: an archive gzipped in-process with System.IO.Compression (zlib's deflate at its
// default level, as gzip's), read and written through descriptors, so that a failure comes
// back as an error number to report and retry as 0.76 retries its writes.
using System.IO;
using System.IO.Compression;
using Toolkit;

static class Gzip
{
    public enum Result { Done, ReadFailed, WriteFailed }

    const int Chunk = 64 * 1024;
    static byte[] chunk;

    /// <summary>Compresses everything from fdIn into fdOut; on failure, errno says why.</summary>
    public static Result Compress(int fdIn, int fdOut, out int errno)
    {
        chunk ??= new byte[Chunk];
        var output = new FdWriter(fdOut);
        errno = 0;
        try
        {
            using var gzip = new GZipStream(output, CompressionLevel.Optimal);
            for (;;)
            {
                int r = Sys.Read(fdIn, chunk);
                if (r == 0) break;
                if (r == -1)
                {
                    errno = Native.Errno;
                    return Result.ReadFailed;
                }
                gzip.Write(chunk, 0, r);
            }
        }
        catch (IOException)
        {
            // The writer's error number, not what unwinding left in errno; zlib's own
            // failures (no error number) are for want of memory.
            errno = output.Errno != 0 ? output.Errno : Native.ENOMEM;
            return Result.WriteFailed;
        }
        catch (OutOfMemoryException)
        {
            errno = Native.ENOMEM;
            return Result.WriteFailed;
        }
        return Result.Done;
    }

    /// <summary>The compressed bytes to a descriptor; a failed write ends the compression.</summary>
    sealed class FdWriter(int fd) : Stream
    {
        public int Errno;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Sys.WriteAll(fd, buffer)) return;
            Errno = Native.Errno;
            throw new IOException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
