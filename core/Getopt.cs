// djb's sgetopt: classic getopt with his exact edge cases. Options end at the first
// non-option; "--" (or any argument starting "--") ends them and is consumed; a lone "-"
// ends them and is kept. Problems are reported as "NAME: illegal option -- X" or
// "NAME: option requires an argument -- X", NAME being the basename of argv[0].
namespace Toolkit;

public sealed class Getopt
{
    public const int Done = -1;
    readonly byte[][] argv;
    readonly string opts;
    int pos;
    /// <summary>Index of the first argument not yet consumed.</summary>
    public int Index = 1;
    /// <summary>The value of the option just returned, if it takes one.</summary>
    public byte[] Arg;

    public Getopt(byte[][] argv, string opts) { this.argv = argv; this.opts = opts; }

    /// <summary>The next option letter, '?' after reporting a problem, or Done.</summary>
    public int Next()
    {
        int c = Scan(out int problem);
        if (c == '?')
        {
            var err = new Output(2, 256);
            err.Put(ProgramName());
            err.Put(Index < argv.Length ? ": illegal option -- "u8 : ": option requires an argument -- "u8);
            err.Put((byte)problem);
            err.Put((byte)'\n');
            err.Flush();
        }
        return c;
    }

    int Scan(out int problem)
    {
        problem = 0;
        Arg = null;
        if (Index >= argv.Length) return Done;
        if (pos > 0 && pos >= argv[Index].Length)
        {
            Index++;
            pos = 0;
            if (Index >= argv.Length) return Done;
        }
        var a = argv[Index];
        if (pos == 0)
        {
            if (a.Length == 0 || a[0] != '-') return Done;
            pos = 1;
            if (a.Length == 1 || a[1] == '-')
            {
                if (a.Length > 1) Index++;
                pos = 0;
                return Done;
            }
        }
        int c = a[pos++];
        for (int i = 0; i < opts.Length; i++)
        {
            if (opts[i] == ':') continue;
            if (c != opts[i]) continue;
            if (i + 1 < opts.Length && opts[i + 1] == ':')
            {
                Arg = a[pos..];
                Index++;
                pos = 0;
                if (Arg.Length == 0)
                {
                    if (Index >= argv.Length) { problem = c; return '?'; }
                    Arg = argv[Index++];
                }
            }
            return c;
        }
        problem = c;
        return '?';
    }

    ReadOnlySpan<byte> ProgramName()
    {
        ReadOnlySpan<byte> name = argv.Length > 0 ? argv[0] : default;
        int slash = name.LastIndexOf((byte)'/');
        return slash >= 0 ? name.Slice(slash + 1) : name;
    }
}
