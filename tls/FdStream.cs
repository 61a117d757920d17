// The connection as a Stream for SslStream: reads from descriptor 0, writes to descriptor 1 (a
// UCSPI program's connection), blocking, with an optional deadline for the handshake.
using System.IO;
using Toolkit;

sealed class FdStream(int input, int output) : Stream
{
    public const long NoDeadline = long.MaxValue;
    /// <summary>Clock time after which a read or write fails with TimeoutException.</summary>
    public long Deadline = NoDeadline;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Wait(input, Native.POLLIN);
        int r = Sys.Read(input, buffer);
        if (r == -1) throw new SystemError(Native.Errno);
        return r;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            Wait(output, Native.POLLOUT);
            int w = Sys.Write(output, buffer);
            if (w == -1) throw new SystemError(Native.Errno);
            buffer = buffer.Slice(w);
        }
    }

    void Wait(int fd, short events)
    {
        if (Deadline != NoDeadline && !Poll.Ready(fd, events, Deadline)) throw new TimeoutException();
    }

    public override void Flush() { }
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A failed system call on the connection, with its error number.</summary>
sealed class SystemError(int errno) : IOException
{
    public readonly int Errno = errno;
}
