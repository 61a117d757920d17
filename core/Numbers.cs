// djb's scan_ulong and fmt_ulong: decimal digits only, no sign, no overflow check
// (values wrap modulo 2^64 as in C); and fmt_xlong's lower-case hexadecimal.
namespace Toolkit;

public static class Numbers
{
    /// <summary>Reads leading decimal digits; returns how many bytes were digits.</summary>
    public static int ScanULong(ReadOnlySpan<byte> s, out ulong value)
    {
        ulong r = 0;
        int i = 0;
        while (i < s.Length && (uint)(s[i] - '0') < 10) { r = unchecked(r * 10 + (uint)(s[i] - '0')); i++; }
        value = r;
        return i;
    }

    /// <summary>Decimal digits of n, at least minDigits (zero-padded), into dst; returns the length.</summary>
    public static int Format(Span<byte> dst, ulong n, int minDigits = 1) => Format(dst, n, minDigits, 10);

    /// <summary>Lower-case hexadecimal digits of n, at least minDigits (zero-padded), into dst;
    /// returns the length.</summary>
    public static int FormatHex(Span<byte> dst, ulong n, int minDigits = 1) => Format(dst, n, minDigits, 16);

    /// <summary>The lower-case hexadecimal digit for 0 to 15.</summary>
    public static byte HexDigit(int n) => Digits[n];

    static ReadOnlySpan<byte> Digits => "0123456789abcdef"u8;

    // Inlined, so that each caller divides by a constant.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static int Format(Span<byte> dst, ulong n, int minDigits, uint radix)
    {
        int len = 1;
        for (ulong rest = n / radix; rest != 0; rest /= radix) len++;
        len = Math.Max(len, Math.Min(minDigits, 20));
        for (int i = len - 1; i >= 0; i--) { dst[i] = Digits[(int)(n % radix)]; n /= radix; }
        return len;
    }

    public static byte[] Text(ulong n, int minDigits = 1)
    {
        Span<byte> b = stackalloc byte[20];
        return b.Slice(0, Format(b, n, minDigits)).ToArray();
    }
}
