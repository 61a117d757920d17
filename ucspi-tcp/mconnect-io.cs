// mconnect-io: run by tcpclient for mconnect. Copies stdin to the connection (fd 7) with a CR
// before every LF, and the connection (fd 6) to stdout, until the server closes it.
using Toolkit;

static class MconnectIo
{
    internal static int Main()
    {
        // At the end of stdin only fd 7 is closed: fd 6 keeps the connection open, so the server
        // sees no end of input, as with the C program (whose copying child just exits).
        Relay.Loop(7, 6, (chunk, toServer) => toServer ? AddCr(chunk) : chunk, _ => { });
        return 0;
    }

    static byte[] AddCr(byte[] chunk)
    {
        int lf = 0;
        foreach (var ch in chunk) if (ch == '\n') lf++;
        var r = new byte[chunk.Length + lf];
        int n = 0;
        foreach (var ch in chunk)
        {
            if (ch == '\n') r[n++] = (byte)'\r';
            r[n++] = ch;
        }
        return r;
    }
}
