// starttlsd -s pop3: STLS (RFC 2595) in front of a POP3 server without it, as qmail-popup.
//
// CAPA's reply gets "STLS" before its closing "."; an -ERR reply to CAPA (qmail-popup knows no
// CAPA) is replaced by a list of STLS and USER, which qmail-popup has. STLS is answered here:
// the client's pipelined input after it is dropped, and when the program has answered every
// command before it, "+OK" goes to the client and the handshake starts; the program, still the
// same process, has greeted once and reads the client's next command over TLS. STLS is only
// looked for until the client sends PASS or APOP (RFC 2595: STLS belongs to the AUTHORIZATION
// state); from then on lines pass unread, since the replies of the mailbox commands that may
// follow are not all one line.
using Toolkit;

sealed class Pop3(byte[] warning) : Dialect(warning)
{
    static readonly byte[] SyntaxError = "-ERR STLS takes no arguments\r\n"u8.ToArray();

    bool passOn, capaList;

    public override void ClientLine(ReadOnlySpan<byte> line, Plaintext session)
    {
        if (passOn) { session.ToProgram(line); return; }
        var verb = Verb(line, out bool arguments);
        if (TlsCommand(verb, arguments, "STLS"u8, SyntaxError, session,
                () => Expecting(new(Expect.Upgrade, "+OK begin TLS negotiation\r\n"u8.ToArray()), session)))
            return;
        session.ToProgram(line);
        passOn = Is(verb, "PASS"u8) || Is(verb, "APOP"u8);
        Expecting(new(Is(verb, "CAPA"u8) ? Expect.Capabilities : Expect.Reply), session);
    }

    public override void ProgramLine(ReadOnlySpan<byte> line, Plaintext session)
    {
        if (passOn && Next != Expect.Capabilities) { session.ToClient(line); return; }
        if (Next != Expect.Capabilities)
        {
            session.ToClient(line);
            Replied(session);
            return;
        }
        if (!capaList)
        {
            if (line.StartsWith("+OK"u8)) { capaList = true; session.ToClient(line); return; }
            session.ToClient("+OK capability list follows\r\nSTLS\r\nUSER\r\n.\r\n"u8);
            Replied(session);
            return;
        }
        if (line.SequenceEqual(".\r\n"u8) || line.SequenceEqual(".\n"u8))
        {
            session.ToClient("STLS\r\n"u8);
            capaList = false;
            session.ToClient(line);
            Replied(session);
            return;
        }
        session.ToClient(line);
    }
}
