// recordio PROGRAM...: run PROGRAM, passing data both ways unchanged, and log every chunk to
// fd 2: "PID < LINE " for input lines, "PID > LINE " for output, a chunk's unfinished last
// line ending in "+", and "[EOF]" when a direction ends.
using System.Collections.Generic;
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

    static void Record(ReadOnlySpan<byte> buf, bool toChild)
    {
        var log = new List<byte>();
        while (buf.Length > 0)
        {
            log.AddRange(pid);
            log.AddRange(toChild ? " < "u8.ToArray() : " > "u8.ToArray());
            int i = buf.IndexOf((byte)'\n');
            if (i < 0) { log.AddRange(buf.ToArray()); log.AddRange("+\n"u8.ToArray()); break; }
            log.AddRange(buf.Slice(0, i).ToArray());
            log.AddRange(" \n"u8.ToArray());
            buf = buf.Slice(i + 1);
        }
        new Output(2, 1).Put(log.ToArray());
    }

    static void Log(bool toChild, ReadOnlySpan<byte> text)
    {
        var o = new Output(2, 64);
        o.Put(pid);
        o.Put(toChild ? " < "u8 : " > "u8);
        o.Put(text);
        o.Flush();
    }
}
