// djb's stralloc: a byte string that grows as bytes are added; and djb's case_diffb.
namespace Toolkit;

public sealed class Bytes
{
    byte[] buf;
    /// <summary>How many bytes it holds; set it lower to drop the last ones.</summary>
    public int Length;

    public Bytes(int capacity = 256) { buf = new byte[capacity]; }

    public Span<byte> Span => buf.AsSpan(0, Length);

    public void Add(ReadOnlySpan<byte> s)
    {
        s.CopyTo(Room(s.Length));
        Length += s.Length;
    }

    public void Add(byte c)
    {
        Room(1)[0] = c;
        Length++;
    }

    /// <summary>The free space after the bytes held, at least atLeast bytes (the buffer doubles
    /// when it must grow): fill it, then add what was filled to Length.</summary>
    public Span<byte> Room(int atLeast)
    {
        if (buf.Length - Length < atLeast) Array.Resize(ref buf, Math.Max(buf.Length * 2, Length + atLeast));
        return buf.AsSpan(Length);
    }

    public byte[] ToArray() => Span.ToArray();

    /// <summary>djb's case_diffb == 0: equal but for the case of ASCII letters.</summary>
    public static bool CaseEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            byte x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z') x += 32;
            if (y >= 'A' && y <= 'Z') y += 32;
            if (x != y) return false;
        }
        return true;
    }
}
