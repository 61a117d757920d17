// djb's error reporting: "PROG: fatal: TEXT: ERRSTR" on stderr with exit code 100 (usage,
// permanent) or 111 (temporary, system), and his own table of error texts (not strerror).
namespace Toolkit;

public static class Errors
{
    // Linux errno values with the texts daemontools and ucspi-tcp print for them.
    public static ReadOnlySpan<byte> Text(int errno) => errno switch
    {
        0 => "no error"u8,
        4 => "interrupted system call"u8,
        12 => "out of memory"u8,
        2 => "file does not exist"u8,
        26 => "text busy"u8,
        5 => "input/output error"u8,
        17 => "file already exists"u8,
        110 => "timed out"u8,
        115 => "operation in progress"u8,
        11 => "temporary failure"u8,
        32 => "broken pipe"u8,
        1 => "permission denied"u8,
        13 => "access denied"u8,
        6 => "device not configured"u8,
        71 => "protocol error"u8,
        21 => "is a directory"u8,
        111 => "connection refused"u8,
        20 => "not a directory"u8,
        3 => "no such process"u8,
        7 => "argument list too long"u8,
        8 => "exec format error"u8,
        9 => "file descriptor not open"u8,
        10 => "no child processes"u8,
        35 => "operation would cause deadlock"u8,
        14 => "bad address"u8,
        15 => "not a block device"u8,
        16 => "device busy"u8,
        18 => "cross-device link"u8,
        19 => "device does not support operation"u8,
        22 => "invalid argument"u8,
        23 => "system cannot open more files"u8,
        24 => "process cannot open more files"u8,
        25 => "not a tty"u8,
        27 => "file too big"u8,
        28 => "out of disk space"u8,
        29 => "unseekable descriptor"u8,
        30 => "read-only file system"u8,
        31 => "too many links"u8,
        33 => "input out of range"u8,
        34 => "output out of range"u8,
        114 => "operation already in progress"u8,
        88 => "not a socket"u8,
        89 => "destination address required"u8,
        90 => "message too long"u8,
        91 => "incorrect protocol type"u8,
        92 => "protocol not available"u8,
        93 => "protocol not supported"u8,
        94 => "socket type not supported"u8,
        95 => "operation not supported"u8,
        96 => "protocol family not supported"u8,
        97 => "address family not supported"u8,
        98 => "address already used"u8,
        99 => "address not available"u8,
        100 => "network down"u8,
        101 => "network unreachable"u8,
        102 => "network reset"u8,
        103 => "connection aborted"u8,
        104 => "connection reset"u8,
        105 => "out of buffer space"u8,
        106 => "already connected"u8,
        107 => "not connected"u8,
        108 => "socket shut down"u8,
        109 => "too many references"u8,
        40 => "symbolic link loop"u8,
        36 => "file name too long"u8,
        112 => "host down"u8,
        113 => "host unreachable"u8,
        39 => "directory not empty"u8,
        87 => "too many users"u8,
        122 => "disk quota exceeded"u8,
        116 => "stale NFS file handle"u8,
        66 => "too many levels of remote in path"u8,
        37 => "no locks available"u8,
        38 => "system call not available"u8,
        60 => "not a stream device"u8,
        62 => "timer expired"u8,
        63 => "out of stream resources"u8,
        42 => "no message of desired type"u8,
        74 => "bad message type"u8,
        43 => "identifier removed"u8,
        64 => "machine not on network"u8,
        67 => "link severed"u8,
        68 => "advertise error"u8,
        69 => "srmount error"u8,
        70 => "communication error"u8,
        72 => "multihop attempted"u8,
        78 => "remote address changed"u8,
        _ => "unknown error"u8,
    };

    // One buffer for every warning, made at the first: a server that logs each connection
    // allocates nothing for it.
    static Output warnings;

    /// <summary>Writes the pieces to stderr as one line (djb's strerr_warn).</summary>
    public static void Warn(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default,
        ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default, ReadOnlySpan<byte> f = default,
        ReadOnlySpan<byte> g = default)
    {
        var line = warnings ??= new Output(2, 1024);
        line.Put(a); line.Put(b); line.Put(c); line.Put(d); line.Put(e); line.Put(f); line.Put(g);
        line.Put("\n"u8);
        line.Flush();
    }

    /// <summary>Like Warn, with the text of errno appended (djb's strerr_warnNsys).</summary>
    public static void WarnSys(int errno, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default,
        ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default, ReadOnlySpan<byte> f = default)
        => Warn(a, b, c, d, e, f, Text(errno));

    public static void Die(int code, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default,
        ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default, ReadOnlySpan<byte> f = default)
    {
        Warn(a, b, c, d, e, f);
        Exit(code);
    }

    public static void DieSys(int code, int errno, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default,
        ReadOnlySpan<byte> c = default, ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default,
        ReadOnlySpan<byte> f = default)
    {
        Warn(a, b, c, d, e, f, Text(errno));
        Exit(code);
    }

    /// <summary>Ends the process at once, like _exit: nothing of the runtime runs after it.</summary>
    public static void Exit(int code) => Native._exit(code);
}
