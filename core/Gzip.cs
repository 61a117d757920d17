// gzip: one descriptor's bytes compressed into another, in gzip's format at zlib's default level
// (gzip's own), by the zlib of System.IO.Compression's native shim called directly: the same
// deflate as GZipStream without its managed stream classes, which made every program's
// executable, and so the address space it needs to start (README), twice as much larger.
namespace Toolkit;

public static unsafe class Gzip
{
    public enum Result { Done, ReadFailed, WriteFailed, NoMemory }

    const int Level = 6, GzipWindowBits = 16 + 15, MemLevel = 8;
    const int Chunk = 64 * 1024;
    static byte[] input, output;

    /// <summary>Compresses everything from fdIn into fdOut; on failure errno says why.</summary>
    public static Result Compress(int fdIn, int fdOut, out int errno)
    {
        input ??= new byte[Chunk];
        output ??= new byte[Chunk];
        Native.ZStream z = default;
        errno = Native.ENOMEM;
        if (Native.CompressionNative_DeflateInit2_(&z, Level, Native.Z_DEFLATED, GzipWindowBits, MemLevel, Native.Z_DEFAULT_STRATEGY) != Native.Z_OK)
            return Result.NoMemory;
        var result = Deflate(&z, fdIn, fdOut, out errno);
        Native.CompressionNative_DeflateEnd(&z);
        return result;
    }

    static Result Deflate(Native.ZStream* z, int fdIn, int fdOut, out int errno)
    {
        errno = 0;
        fixed (byte* pin = input, pout = output)
            for (;;)
            {
                int r = Sys.Read(fdIn, input);
                if (r == -1)
                {
                    errno = Native.Errno;
                    return Result.ReadFailed;
                }
                int flush = r == 0 ? Native.Z_FINISH : Native.Z_NO_FLUSH;
                z->NextIn = pin;
                z->AvailIn = (uint)r;
                int rc;
                do
                {
                    z->NextOut = pout;
                    z->AvailOut = Chunk;
                    rc = Native.CompressionNative_Deflate(z, flush);
                    if (rc < 0 && rc != Native.Z_BUF_ERROR)
                    {
                        errno = Native.ENOMEM;
                        return Result.NoMemory;
                    }
                    if (!Sys.WriteAll(fdOut, output.AsSpan(0, Chunk - (int)z->AvailOut)))
                    {
                        errno = Native.Errno;
                        return Result.WriteFailed;
                    }
                } while (z->AvailOut == 0);
                if (rc == Native.Z_STREAM_END) return Result.Done;
            }
    }
}
