// The TLS executable, holding tlsd and starttlsd: each is a link to it, and the name it was
// executed under (AT_EXECFN, as in core/multicall/toolkit.cs) picks the program. It is an
// executable of its own because it is dynamically linked (core/Toolkit.csproj says why).
using Toolkit;

static class TlsMulticall
{
    static int Main()
    {
        var path = Args.ExecutedAs;
        var name = path.Slice(path.LastIndexOf((byte)'/') + 1);
        if (name.SequenceEqual("tlsd"u8)) return Tlsd.Main();
        if (name.SequenceEqual("starttlsd"u8)) return Starttlsd.Main();
        Errors.Die(100, "tls: usage: run as tlsd or starttlsd, through a link of that name\ntls: fatal: not a command: "u8, path);
        return 100;
    }
}
