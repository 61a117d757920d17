// starttlsd's plaintext phase: relays between the client (descriptors 0 and 1) and the program
// (pipes) line by line through a Dialect, which may change, add or hold back lines, until the
// dialect asks for the upgrade to TLS or the program's output ends. One thread and poll(2):
// each side is read only when what was read from it before has been written on, so a side
// that does not read cannot make this one buffer without bound or wait forever.
using Toolkit;

sealed class Plaintext
{
    // Longer lines are passed on in pieces, unread by the dialect (no command is that long).
    const int MaxLine = 1024;
    const int Chunk = 4096;

    readonly Relay.Child child;
    readonly Dialect dialect;
    readonly Side client = new(), program = new();
    readonly Bytes toClient = new(), toProgram = new();
    int toClientDone, toProgramDone;
    bool clientOpen = true, programOpen = true, paused, upgrade, toProgramClosed;

    public Plaintext(Relay.Child child, Dialect dialect)
    {
        this.child = child;
        this.dialect = dialect;
    }

    /// <summary>What the dialect sees of the session.</summary>
    public void ToClient(ReadOnlySpan<byte> s) => toClient.Add(s);
    public void ToProgram(ReadOnlySpan<byte> s) => toProgram.Add(s);
    /// <summary>Stops reading the client and drops what it sent after the line being read: the
    /// next bytes from it belong to the TLS handshake. The count dropped.</summary>
    public int PauseAndDiscard()
    {
        paused = true;
        int dropped = client.Unread.Length - client.Consumed;
        client.Unread.Length = 0;
        return dropped;
    }
    public void Resume() => paused = false;
    /// <summary>Ends the phase for the handshake once what is for the client has been sent.</summary>
    public void Upgrade() => upgrade = true;

    /// <summary>The program's output read but not yet passed on, for the TLS session.</summary>
    public byte[] Leftover => program.Unread.ToArray();

    /// <summary>Runs the phase: true when the upgrade is due; false when the session is over (the
    /// program's output has ended and all of it has been sent, or the client can no longer be
    /// written to), with the program's input closed.</summary>
    public bool Run()
    {
        Span<Native.PollFd> fds = stackalloc Native.PollFd[4];
        var buf = new byte[Chunk];
        for (;;)
        {
            if (toClient.Length == toClientDone && upgrade) return true;
            if (toClient.Length == toClientDone && !programOpen) return CloseProgramInput();
            if (!clientOpen && toProgram.Length == toProgramDone) CloseProgramInput();
            int n = 0, fromClient = -1, intoProgram = -1, fromProgram = -1, intoClient = -1;
            if (clientOpen && !paused && toProgram.Length == toProgramDone) { fromClient = n; fds[n++] = new() { Fd = 0, Events = Native.POLLIN }; }
            if (toProgram.Length > toProgramDone) { intoProgram = n; fds[n++] = new() { Fd = child.ToChild, Events = Native.POLLOUT }; }
            if (programOpen && toClient.Length == toClientDone) { fromProgram = n; fds[n++] = new() { Fd = child.FromChild, Events = Native.POLLIN }; }
            if (toClient.Length > toClientDone) { intoClient = n; fds[n++] = new() { Fd = 1, Events = Native.POLLOUT }; }
            if (Sys.Poll(fds.Slice(0, n), -1) == -1) continue;

            if (fromClient >= 0 && fds[fromClient].Revents != 0)
                clientOpen = Read(0, client, buf, dialect.ClientLine);
            if (fromProgram >= 0 && fds[fromProgram].Revents != 0)
                programOpen = Read(child.FromChild, program, buf, dialect.ProgramLine);
            if (intoProgram >= 0 && fds[intoProgram].Revents != 0 && !Write(child.ToChild, toProgram, ref toProgramDone))
            {
                // The program reads no more: what the client sends is dropped.
                toProgramDone = toProgram.Length = 0;
                clientOpen = false;
            }
            if (intoClient >= 0 && fds[intoClient].Revents != 0 && !Write(1, toClient, ref toClientDone))
                return CloseProgramInput();
        }
    }

    /// <summary>Closes the program's input, once; false, for the end of Run.</summary>
    bool CloseProgramInput()
    {
        if (!toProgramClosed) Native.close(child.ToChild);
        toProgramClosed = true;
        return false;
    }

    delegate void LineHandler(ReadOnlySpan<byte> line, Plaintext session);

    /// <summary>Reads from fd into side and hands each whole line to the dialect; false at the end
    /// (what is left of a last line without newline is passed on as it is).</summary>
    bool Read(int fd, Side side, byte[] buf, LineHandler handle)
    {
        int r = Sys.Read(fd, buf);
        if (r <= 0)
        {
            if (side.Unread.Length > 0) Pass(side, side.Unread.Length, handle);
            side.Unread.Length = 0;
            return false;
        }
        side.Unread.Add(buf.AsSpan(0, r));
        int start = 0;
        // After the line that starts the upgrade, the program's output is for the TLS session.
        while (side.Unread.Length > start && !upgrade)
        {
            var rest = side.Unread.Span.Slice(start);
            int nl = rest.IndexOf((byte)'\n');
            int take = nl >= 0 ? nl + 1 : rest.Length >= MaxLine ? rest.Length : 0;
            if (take == 0) break;
            bool whole = nl >= 0;
            var piece = rest.Slice(0, take).ToArray();
            start += take;
            side.Consumed = start;
            int before = side.Unread.Length;
            if (side.MidLine) (side == client ? toProgram : toClient).Add(piece);
            else handle(piece, this);
            // The dialect dropped what followed (PauseAndDiscard).
            if (side.Unread.Length != before) { start = 0; break; }
            side.MidLine = !whole;
        }
        if (start > 0)
        {
            side.Unread.Span.Slice(start).CopyTo(side.Unread.Span);
            side.Unread.Length -= start;
        }
        return true;
    }

    void Pass(Side side, int length, LineHandler handle)
    {
        var piece = side.Unread.Span.Slice(0, length).ToArray();
        if (side.MidLine) (side == client ? toProgram : toClient).Add(piece);
        else handle(piece, this);
    }

    /// <summary>Writes what it can of out; when all is written, empties it. False on error.</summary>
    static bool Write(int fd, Bytes output, ref int done)
    {
        int w = Sys.Write(fd, output.Span.Slice(done));
        if (w == -1) return false;
        done += w;
        if (done == output.Length) done = output.Length = 0;
        return true;
    }

    sealed class Side
    {
        public readonly Bytes Unread = new(Chunk);
        public bool MidLine;
        /// <summary>How much of Unread has been handed on.</summary>
        public int Consumed;
    }
}
