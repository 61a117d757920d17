// The lines of a file read into memory, split at each newline (not included): as a split on
// '\n', n newlines make n + 1 lines, so a file ending in a newline has an empty last line.
//     foreach (var line in new Lines(data)) ...
namespace Toolkit;

public ref struct Lines
{
    ReadOnlySpan<byte> rest;
    bool done;

    public Lines(ReadOnlySpan<byte> data) { rest = data; }

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly Lines GetEnumerator() => this;

    public bool MoveNext()
    {
        if (done) return false;
        int nl = rest.IndexOf((byte)'\n');
        if (nl < 0)
        {
            Current = rest;
            done = true;
            return true;
        }
        Current = rest.Slice(0, nl);
        rest = rest.Slice(nl + 1);
        return true;
    }
}
