// tlsd [ -c cert ] [ -k key ] [ -t timeout ] prog: implicit TLS for a UCSPI server. Run by
// tcpserver with the connection on descriptors 0 and 1: loads the certificate and key, makes the
// TLS handshake with the client, then runs prog with SSL_PROTOCOL and SSL_CIPHER set and
// relays between the client (encrypted) and prog's descriptors 0 and 1 (plaintext) until both
// are done. See docs/tlsd.md.
using Toolkit;

static class Tlsd
{
    static ReadOnlySpan<byte> Usage => "tlsd: usage: tlsd [ -c cert ] [ -k key ] [ -t timeout ] prog"u8;

    internal static int Main()
    {
        var settings = new TlsServer.Settings();
        var argv = Args.Argv;
        var opt = new Getopt(argv, "c:k:t:");
        for (int c; (c = opt.Next()) != Getopt.Done;)
            if (!settings.Take(c, opt.Arg, Die)) Die();
        if (opt.Index >= argv.Length) Die();
        var prog = argv[opt.Index..];

        var server = TlsServer.Load("tlsd", settings);
        Native.tk_signal_set(Native.SIGPIPE, 1);
        var tls = server.Handshake();
        var child = Relay.Start("tlsd: fatal: "u8, prog, server.Environment(tls));
        TlsRelay.Run("tlsd: warning: "u8.ToArray(), tls, child);
        return 0;
    }

    static void Die() => Errors.Die(100, Usage);
}
