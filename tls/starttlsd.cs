// starttlsd -s smtp|pop3 [ -c cert ] [ -k key ] [ -t timeout ] prog: STARTTLS (SMTP) or STLS
// (POP3) for a UCSPI server that has none. Run by tcpserver with the connection on descriptors
// 0 and 1: loads the certificate and key, runs prog on pipes and relays the plaintext protocol,
// offering and answering the TLS command itself (tls/starttlsd.smtp.cs, tls/starttlsd.pop3.cs);
// after the handshake it relays encrypted, as tlsd does. See docs/starttlsd.md.
using Toolkit;

static class Starttlsd
{
    static ReadOnlySpan<byte> Usage => "starttlsd: usage: starttlsd -s smtp|pop3 [ -c cert ] [ -k key ] [ -t timeout ] prog"u8;
    static readonly byte[] Warning = "starttlsd: warning: "u8.ToArray();

    internal static int Main()
    {
        var settings = new TlsServer.Settings();
        Dialect dialect = null;
        var argv = Args.Argv;
        var opt = new Getopt(argv, "s:c:k:t:");
        for (int c; (c = opt.Next()) != Getopt.Done;)
        {
            if (c == 's')
                dialect = opt.Arg.AsSpan().SequenceEqual("smtp"u8) ? new Smtp(Warning)
                    : opt.Arg.AsSpan().SequenceEqual("pop3"u8) ? new Pop3(Warning) : null;
            if (c == 's' ? dialect == null : !settings.Take(c, opt.Arg, Die)) Die();
        }
        if (dialect == null || opt.Index >= argv.Length) Die();
        var prog = argv[opt.Index..];

        var server = TlsServer.Load("starttlsd", settings);
        Native.tk_signal_set(Native.SIGPIPE, 1);
        var child = Relay.Start("starttlsd: fatal: "u8, prog, server.Started);
        var plaintext = new Plaintext(child, dialect);
        if (!plaintext.Run())
        {
            Native.close(child.FromChild);
            if (Native.shutdown(1, Native.SHUT_WR) == -1) Native.close(1);
            Exec.ExitAs(Exec.WaitPid(child.Pid));
        }
        var tls = server.Handshake();
        TlsRelay.Run(Warning, tls, child, plaintext.Leftover);
        return 0;
    }

    static void Die() => Errors.Die(100, Usage);
}
