// Port names from /etc/services, as tcpserver and tcpclient take them.
namespace Toolkit;

public static class Services
{
    /// <summary>A TCP port: all digits (as djb: an empty string is port 0), or a name from /etc/services.</summary>
    public static bool Port(ReadOnlySpan<byte> text, out int port)
    {
        if (Numbers.ScanULong(text, out ulong u) == text.Length) { port = (ushort)u; return true; }
        port = 0;
        var services = Files.ReadAll("/etc/services"u8, out _);
        if (services == null) return false;
        foreach (var entry in new Lines(services))
        {
            var line = entry;
            int hash = line.IndexOf((byte)'#');
            if (hash >= 0) line = line.Slice(0, hash);
            var name = Word(ref line);
            var number = Word(ref line);
            int slash = number.IndexOf((byte)'/');
            if (slash < 0 || !number.Slice(slash + 1).SequenceEqual("tcp"u8)) continue;
            bool match = name.SequenceEqual(text);
            for (var alias = Word(ref line); !match && alias.Length > 0; alias = Word(ref line))
                match = alias.SequenceEqual(text);
            if (!match) continue;
            if (Numbers.ScanULong(number, out u) != slash || slash == 0) continue;
            port = (ushort)u;
            return true;
        }
        return false;
    }

    static ReadOnlySpan<byte> Word(ref ReadOnlySpan<byte> line)
    {
        int i = 0;
        while (i < line.Length && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        int j = i;
        while (j < line.Length && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') j++;
        var w = line.Slice(i, j - i);
        line = line.Slice(j);
        return w;
    }
}
