// What starttlsd knows of a protocol: the lines it changes or answers itself in the plaintext
// phase. Every command the client sends gets exactly one reply, in order; the dialect keeps
// what it expects of each coming reply in a queue, so that a reply it makes itself (to
// STARTTLS, or a syntax error) goes out after the program's replies to the commands before it.
using System.Collections.Generic;
using Toolkit;

abstract class Dialect
{
    protected enum Expect
    {
        /// <summary>The program's reply, passed on.</summary>
        Reply,
        /// <summary>The program's reply to EHLO or CAPA, with STARTTLS or STLS added.</summary>
        Capabilities,
        /// <summary>The program's reply to the RSET sent for STARTTLS: not passed on.</summary>
        Reset,
        /// <summary>A reply of this program's own (Local).</summary>
        Local,
        /// <summary>The upgrade: after the replies before it, the "go ahead" (Local) and the handshake.</summary>
        Upgrade,
    }

    protected readonly record struct Pending(Expect Kind, byte[] Local = null);

    // The program's greeting is the reply to no command.
    protected readonly Queue<Pending> expected = new([new Pending(Expect.Reply)]);
    protected readonly byte[] warning;

    protected Dialect(byte[] warning) { this.warning = warning; }

    public abstract void ClientLine(ReadOnlySpan<byte> line, Plaintext session);
    public abstract void ProgramLine(ReadOnlySpan<byte> line, Plaintext session);

    /// <summary>Queues what to expect of the reply to the command just passed on, or made locally.</summary>
    protected void Expecting(Pending p, Plaintext session)
    {
        expected.Enqueue(p);
        Answer(session);
    }

    /// <summary>The reply at the head of the queue has been passed on.</summary>
    protected void Replied(Plaintext session)
    {
        if (expected.Count > 0) expected.Dequeue();
        Answer(session);
    }

    protected Expect Next => expected.Count > 0 ? expected.Peek().Kind : Expect.Reply;

    /// <summary>Sends the local replies now at the head of the queue, and starts the upgrade
    /// when its turn has come.</summary>
    void Answer(Plaintext session)
    {
        while (expected.Count > 0 && expected.Peek().Kind is Expect.Local or Expect.Upgrade)
        {
            var p = expected.Dequeue();
            session.ToClient(p.Local);
            if (p.Kind == Expect.Upgrade) session.Upgrade();
        }
    }

    /// <summary>The command word of a line, and whether anything follows it.</summary>
    protected static ReadOnlySpan<byte> Verb(ReadOnlySpan<byte> line, out bool arguments)
    {
        var text = line.TrimEnd("\r\n"u8);
        int end = text.IndexOf((byte)' ');
        if (end < 0) end = text.Length;
        arguments = !text.Slice(end).Trim((byte)' ').IsEmpty;
        return text.Slice(0, end);
    }

    protected static bool Is(ReadOnlySpan<byte> verb, ReadOnlySpan<byte> name) => Bytes.CaseEqual(verb, name);

    /// <summary>Whether the line is the TLS command (STARTTLS, STLS), then handled: with
    /// arguments it gets syntaxError; without, the rest of what the client sent is dropped
    /// (CVE-2011-0411: plaintext sent after it must not reach the program as if it came
    /// through TLS), the client is no longer read until the upgrade, and start is called.</summary>
    protected bool TlsCommand(ReadOnlySpan<byte> verb, bool arguments, ReadOnlySpan<byte> name, byte[] syntaxError,
        Plaintext session, Action start)
    {
        if (!Is(verb, name)) return false;
        if (arguments)
        {
            Expecting(new(Expect.Local, syntaxError), session);
            return true;
        }
        int dropped = session.PauseAndDiscard();
        if (dropped > 0)
            Errors.Warn(warning, "dropped "u8, Numbers.Text((ulong)dropped), " bytes sent after the TLS command"u8);
        start();
        return true;
    }
}
