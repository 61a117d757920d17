// starttlsd -s smtp: STARTTLS (RFC 3207) in front of an SMTP server without it.
//
// The EHLO reply gets STARTTLS as its last line (the program's last line becomes "250-..."). STARTTLS is answered here: the
// client's pipelined input after it is dropped, RSET goes to the program so that it forgets the
// plaintext session's envelope (RFC 3207 4.2: the server discards what it learned before TLS),
// and when the program has answered every command before it and the RSET (whose reply is not
// passed on), "220" goes to the client and the handshake starts. The program is the same
// process before and after: it greeted once, at the start, and the client's new EHLO over TLS
// is just its next command. Its reply is passed on unchanged: no STARTTLS is offered over TLS.
using Toolkit;

sealed class Smtp(byte[] warning) : Dialect(warning)
{
    static readonly byte[] SyntaxError = "501 5.5.4 STARTTLS takes no arguments (#5.5.4)\r\n"u8.ToArray();

    // In the message after DATA's 354: lines are text until the lone ".".
    bool data;

    public override void ClientLine(ReadOnlySpan<byte> line, Plaintext session)
    {
        if (data)
        {
            session.ToProgram(line);
            if (line.SequenceEqual(".\r\n"u8) || line.SequenceEqual(".\n"u8))
            {
                data = false;
                Expecting(new(Expect.Reply), session);
            }
            return;
        }
        var verb = Verb(line, out bool arguments);
        if (TlsCommand(verb, arguments, "STARTTLS"u8, SyntaxError, session, () =>
            {
                session.ToProgram("RSET\r\n"u8);
                Expecting(new(Expect.Reset), session);
            }))
            return;
        session.ToProgram(line);
        Expecting(new(Is(verb, "EHLO"u8) ? Expect.Capabilities : Expect.Reply), session);
    }

    public override void ProgramLine(ReadOnlySpan<byte> line, Plaintext session)
    {
        bool last = line.Length < 4 || line[3] != '-';
        switch (Next)
        {
            case Expect.Capabilities:
                if (last && line.StartsWith("250"u8))
                {
                    // The last line becomes a continuation, STARTTLS the new last line.
                    session.ToClient("250-"u8);
                    session.ToClient(line.Slice(line.Length > 3 && line[3] == ' ' ? 4 : 3));
                    session.ToClient("250 STARTTLS\r\n"u8);
                }
                else session.ToClient(line);
                break;
            case Expect.Reset:
                if (!last) return;
                if (line.StartsWith("2"u8))
                {
                    expected.Dequeue();
                    Expecting(new(Expect.Upgrade, "220 2.0.0 ready to start TLS\r\n"u8.ToArray()), session);
                    return;
                }
                session.ToClient("454 4.7.0 TLS not available: the server did not reset (#4.7.0)\r\n"u8);
                session.Resume();
                break;
            default:
                if (last && line.StartsWith("354"u8)) data = true;
                session.ToClient(line);
                break;
        }
        if (last) Replied(session);
    }
}
