// rblsmtpd OPTS SMTPD...: block SMTP clients listed in RBLs. The decision comes from
// $RBLSMTPD if set, else from the -r (TXT record = listed) and -a (A record = accepted)
// lists in command-line order; an accepted client gets SMTPD, a blocked one a fake SMTP
// dialogue that answers 451 or 553 to everything but HELO, EHLO, MAIL, RSET, NOOP and QUIT.
using System.Collections.Generic;
using Toolkit;

static class Rblsmtpd
{
    static ReadOnlySpan<byte> Fatal => "rblsmtpd: fatal: "u8;

    enum Decision { Undecided, Accept, RejectTemporarily, RejectPermanently }
    static Decision decision;
    static bool flagRblBounce, flagFailClosed, flagMustNotBounce;
    static ulong timeout = 60;
    static byte[] ipEnv, ipReverse, text = [];
    static byte[] message;
    static Output output;

    static void Usage() => Errors.Die(100, "rblsmtpd: usage: rblsmtpd [ -b ] [ -R ] [ -t timeout ] [ -r base ] [ -a base ] smtpd [ arg ... ]"u8);

    internal static int Main()
    {
        var argv = Args.Argv;
        IpInit();
        var x = Args.GetEnv("RBLSMTPD"u8);
        if (x != null)
        {
            if (x.Length == 0) decision = Decision.Accept;
            else if (x[0] == '-') { text = x[1..]; decision = Decision.RejectPermanently; }
            else { text = x; decision = Decision.RejectTemporarily; }
        }
        var opt = new Getopt(argv, "bBcCt:r:a:");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            switch (c)
            {
                case 'b': flagRblBounce = true; break;
                case 'B': flagRblBounce = false; break;
                case 'c': flagFailClosed = true; break;
                case 'C': flagFailClosed = false; break;
                case 't': Numbers.ScanULong(opt.Arg, out timeout); break;
                case 'r': Rbl(opt.Arg); break;
                case 'a': AntiRbl(opt.Arg); break;
                default: Usage(); break;
            }
        }
        if (opt.Index >= argv.Length) Usage();
        if (decision is Decision.RejectTemporarily or Decision.RejectPermanently) Block();
        Exec.RunOrDie(Fatal, argv[opt.Index..]);
        return 111;
    }

    /// <summary>$TCPREMOTEIP reversed for the lookups: "4.3.2.1." for 1.2.3.4; for an IPv6
    /// address the 32 nibbles in reverse order, each followed by a dot.</summary>
    static void IpInit()
    {
        ipEnv = Args.GetEnv("TCPREMOTEIP"u8) ?? [];
        var r = new List<byte>(72);
        if (ipEnv.AsSpan().IndexOf((byte)':') >= 0 && Ip.Scan6(ipEnv, out var ip6))
        {
            var name = DnsPacket.ReverseName(ip6);
            ipReverse = name[..^"ip6.arpa".Length];
            return;
        }
        int end = ipEnv.Length;
        while (end > 0)
        {
            int j = end;
            while (j > 0 && ipEnv[j - 1] != '.') j--;
            r.AddRange(ipEnv.AsSpan(j, end - j).ToArray());
            r.Add((byte)'.');
            if (j == 0) break;
            end = j - 1;
        }
        ipReverse = r.ToArray();
    }

    static byte[] Name(byte[] baseName)
    {
        var name = new byte[ipReverse.Length + baseName.Length];
        ipReverse.CopyTo(name, 0);
        baseName.CopyTo(name, ipReverse.Length);
        return name;
    }

    static void Rbl(byte[] baseName)
    {
        if (decision != Decision.Undecided) return;
        var answer = Dns.Resolve(Name(baseName), Dns.TXT);
        if (answer == null)
        {
            flagMustNotBounce = true;
            if (flagFailClosed)
            {
                text = "temporary RBL lookup error"u8.ToArray();
                decision = Decision.RejectTemporarily;
            }
            return;
        }
        text = DnsPacket.Text(answer);
        if (text.Length > 0) decision = flagRblBounce ? Decision.RejectPermanently : Decision.RejectTemporarily;
    }

    static void AntiRbl(byte[] baseName)
    {
        if (decision != Decision.Undecided) return;
        var answer = Dns.Resolve(Name(baseName), Dns.A);
        if (answer == null)
        {
            flagMustNotBounce = true;
            if (!flagFailClosed) decision = Decision.Accept;
            return;
        }
        if (DnsPacket.Addresses(answer, Dns.A).Count > 0) decision = Decision.Accept;
    }

    static void Block()
    {
        var m = new List<byte>(210);
        m.AddRange(flagMustNotBounce || decision == Decision.RejectTemporarily ? "451 "u8.ToArray() : "553 "u8.ToArray());
        m.AddRange(text.AsSpan(0, Math.Min(text.Length, 200)).ToArray());
        for (int i = 0; i < m.Count; i++) if (m[i] < 32 || m[i] > 126) m[i] = (byte)'?';
        Errors.Warn("rblsmtpd: "u8, ipEnv, " pid "u8, Numbers.Text((ulong)Native.getpid()), ": "u8, m.ToArray());
        m.Add((byte)'\r'); m.Add((byte)'\n');
        message = m.ToArray();
        output = new Output(1, 1024);
        if (timeout == 0)
        {
            output.Put(message);
            output.Flush();
            Errors.Exit(0);
        }
        Smtp();
        Errors.Exit(0);
    }

    /// <summary>The fake SMTP server, until QUIT, end of input, an error or the session timeout.</summary>
    static void Smtp()
    {
        long deadline = Clock.Now() + (long)Math.Min(timeout, long.MaxValue / 2000) * 1000;
        var input = new Input(0, 1024);
        input.BeforeRead = () =>
        {
            if (!output.Flush() || !Poll.Ready(0, Native.POLLIN, deadline)) Errors.Exit(0);
        };
        output.Put("220 rblsmtpd.local\r\n"u8);
        var line = new Bytes(128);
        for (;;)
        {
            int ch = input.Get();
            if (ch < 0) return;
            if (ch != '\n') { line.Add((byte)ch); continue; }
            var text = line.Span;
            if (text.Length > 0 && text[^1] == '\r') text = text.Slice(0, text.Length - 1);
            int verbEnd = text.IndexOfAny((byte)' ', (byte)0);
            Command(verbEnd < 0 ? text : text.Slice(0, verbEnd));
            line.Length = 0;
        }
    }

    static void Command(ReadOnlySpan<byte> verb)
    {
        if (Is(verb, "quit"u8))
        {
            output.Put("221 rblsmtpd.local\r\n"u8);
            output.Flush();
            Errors.Exit(0);
        }
        if (Is(verb, "helo"u8) || Is(verb, "ehlo"u8) || Is(verb, "mail"u8) || Is(verb, "rset"u8) || Is(verb, "noop"u8))
            output.Put("250 rblsmtpd.local\r\n"u8);
        else output.Put(message);
    }

    static bool Is(ReadOnlySpan<byte> verb, ReadOnlySpan<byte> name) => Bytes.CaseEqual(verb, name);
}
