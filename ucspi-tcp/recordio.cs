// recordio PROGRAM...: run PROGRAM, passing data both ways unchanged, and log every chunk to
// fd 2: "PID < LINE " for input lines, "PID > LINE " for output, a chunk's unfinished last
// line ending in "+", and "[EOF]" when a direction ends.
using Toolkit;

static class Recordio
{
    static byte[] pid;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "recordio: usage: recordio program [ arg ... ]"u8);
        pid = Numbers.Text((ulong)Native.getpid());
        Relay.Run("recordio: fatal: "u8, argv[1..], (chunk, toChild) =>
        {
            Record(chunk, toChild);
            return chunk;
        }, toChild => Log(toChild, "[EOF]\n"u8));
        return 0;
    }

    /// <summary>Logs a chunk in one write: a line per line of it, the unfinished last one
    /// ending in "+".</summary>
    static void Record(ReadOnlySpan<byte> buf, bool toChild)
    {
        var log = new Output(2, buf.Length + (buf.Length + 1) * (pid.Length + 5));
        while (buf.Length > 0)
        {
            Prefix(log, toChild);
            int i = buf.IndexOf((byte)'\n');
            if (i < 0) { log.Put(buf); log.Put("+\n"u8); break; }
            log.Put(buf.Slice(0, i));
            log.Put(" \n"u8);
            buf = buf.Slice(i + 1);
        }
        log.Flush();
    }

    static void Log(bool toChild, ReadOnlySpan<byte> text)
    {
        var log = new Output(2, 64);
        Prefix(log, toChild);
        log.Put(text);
        log.Flush();
    }

    static void Prefix(Output log, bool toChild)
    {
        log.Put(pid);
        log.Put(toChild ? " < "u8 : " > "u8);
    }
}
