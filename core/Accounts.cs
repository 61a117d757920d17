// User accounts, and djb's prot_gid/prot_uid (exactly one group, then the gid, then the uid).
//
// The programs are static executables, and glibc cannot load NSS modules into a static
// program safely (libnss_systemd crashes there). So an account is looked up the way the
// "files" source does it, in /etc/passwd; a name not found there is asked of the system's
// other sources through getent(1), so LDAP or systemd accounts still work.
namespace Toolkit;

public static unsafe class Accounts
{
    public static bool Lookup(ReadOnlySpan<byte> name, out uint uid, out uint gid)
    {
        uid = gid = 0;
        if (name.Length == 0 || name.IndexOf((byte)':') >= 0 || name.IndexOf((byte)'\n') >= 0) return false;
        var passwd = Files.ReadAll("/etc/passwd"u8, out _);
        if (passwd != null && Find(passwd, name, out uid, out gid)) return true;
        var fromGetent = Getent(name);
        return fromGetent != null && Find(fromGetent, name, out uid, out gid);
    }

    /// <summary>The first "name:password:uid:gid:..." line for name, as nss_files reads it.</summary>
    public static bool Find(ReadOnlySpan<byte> passwd, ReadOnlySpan<byte> name, out uint uid, out uint gid)
    {
        uid = gid = 0;
        foreach (var line in new Lines(passwd))
        {
            if (line.Length <= name.Length || line[name.Length] != ':' || !line.StartsWith(name)) continue;
            var rest = line.Slice(name.Length + 1);
            int colon = rest.IndexOf((byte)':');
            if (colon < 0) continue;
            rest = rest.Slice(colon + 1);
            if (!Field(ref rest, out uid) || !Field(ref rest, out gid)) continue;
            return true;
        }
        return false;
    }

    static bool Field(ref ReadOnlySpan<byte> rest, out uint value)
    {
        int n = Numbers.ScanULong(rest, out ulong v);
        value = (uint)v;
        if (n == 0 || n > 10 || v > uint.MaxValue || n >= rest.Length || rest[n] != ':') return false;
        rest = rest.Slice(n + 1);
        return true;
    }

    static byte[] Getent(ReadOnlySpan<byte> name)
    {
        if (!Sys.Pipe(out int read, out int write)) return null;
        var argv = new[] { "getent"u8.ToArray(), "passwd"u8.ToArray(), "--"u8.ToArray(), name.ToArray() };
        int pid = Exec.Spawn(argv, null, [FdAction.Dup2(write, 1)], out int execError);
        Native.close(write);
        var output = pid > 0 && execError == 0 ? Files.ReadFd(read, out _) : null;
        Native.close(read);
        if (pid > 0) Exec.WaitPid(pid);
        return output;
    }

    /// <summary>setgroups(1, {gid}) then setgid; -1 with errno on failure.</summary>
    public static int SetGid(uint gid)
    {
        if (Native.setgroups(1, &gid) == -1) return -1;
        return Native.setgid(gid);
    }

    public static int SetUid(uint uid) => Native.setuid(uid);
}
