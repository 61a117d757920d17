// The encrypted relay between the client (an SslStream on descriptors 0 and 1) and the program
// (pipes), both ways, until both are done: the client's end (close_notify or the connection's
// end) closes the program's input, the end of the program's output sends close_notify and shuts
// the connection down for writing, and the process ends when the program has ended and its
// output has all been sent. Blocking reads and writes on two threads, one per direction: each
// waits in the kernel (or in OpenSSL) for its own data, so there is no busy loop, and neither
// direction waits for the other.
using System.Net.Security;
using System.Threading;
using Toolkit;

static class TlsRelay
{
    // A TLS record's largest payload: one read fills one record.
    const int Chunk = 16384;
    // Set by the first direction to fail: the other's failure then follows from it and is not reported.
    static int failed;

    /// <summary>Relays until the program has ended, then exits as it did. pending is output of
    /// the program read before the relay started, sent first.</summary>
    public static void Run(byte[] warning, SslStream tls, Relay.Child program, ReadOnlySpan<byte> pending = default)
    {
        var fromClient = new Thread(() => ClientToProgram(warning, tls, program.ToChild), 256 * 1024);
        fromClient.IsBackground = true;
        fromClient.Start();
        ProgramToClient(warning, tls, program.FromChild, pending);
        Exec.ExitAs(Exec.WaitPid(program.Pid));
    }

    static void ClientToProgram(byte[] warning, SslStream tls, int toChild)
    {
        var buf = new byte[Chunk];
        for (;;)
        {
            int r;
            try { r = tls.Read(buf, 0, buf.Length); }
            catch (Exception e)
            {
                Report(warning, "unable to read from the client: "u8, e);
                break;
            }
            // The program's end (EPIPE) only means nothing more is wanted from the client.
            if (r == 0 || !Sys.WriteAll(toChild, buf.AsSpan(0, r))) break;
        }
        Native.close(toChild);
    }

    static void ProgramToClient(byte[] warning, SslStream tls, int fromChild, ReadOnlySpan<byte> pending)
    {
        var buf = new byte[Chunk];
        try
        {
            if (pending.Length > 0) tls.Write(pending);
            for (;;)
            {
                int r = Sys.Read(fromChild, buf);
                if (r <= 0) break;
                tls.Write(buf, 0, r);
            }
            tls.ShutdownAsync().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Report(warning, "unable to write to the client: "u8, e);
        }
        Native.close(fromChild);
        // The client sees the end; the program's input stays open for what it still sends.
        if (Native.shutdown(1, Native.SHUT_WR) == -1) Native.close(1);
    }

    static void Report(byte[] warning, ReadOnlySpan<byte> what, Exception e)
    {
        if (Interlocked.Exchange(ref failed, 1) == 0) Errors.Warn(warning, what, TlsServer.Reason(e));
    }
}
