// fixcrio PROGRAM...: run PROGRAM, inserting a CR before every LF that lacks one, in both
// directions.
using Toolkit;

static class Fixcrio
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "fixcrio: usage: fixcrio program [ arg ... ]"u8);
        var lastWasCr = new bool[2];
        Relay.Run("fixcrio: fatal: "u8, argv[1..], (chunk, toChild) =>
        {
            int d = toChild ? 0 : 1;
            var r = new Bytes(chunk.Length + 16);
            foreach (var ch in chunk)
            {
                if (ch == '\n' && !lastWasCr[d]) r.Add((byte)'\r');
                r.Add(ch);
                lastWasCr[d] = ch == '\r';
            }
            return r.ToArray();
        }, _ => { });
        return 0;
    }
}
