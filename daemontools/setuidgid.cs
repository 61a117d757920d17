// setuidgid ACCOUNT CHILD...: run CHILD with ACCOUNT's uid and gid and no other groups.
using Toolkit;

static class Setuidgid
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(100, "setuidgid: usage: setuidgid account child"u8);
        var account = argv[1];
        if (!Accounts.Lookup(account, out uint uid, out uint gid))
            Errors.Die(111, "setuidgid: fatal: "u8, "unknown account "u8, account);
        if (Accounts.SetGid(gid) == -1) Errors.DieSys(111, Native.Errno, "setuidgid: fatal: "u8, "unable to setgid: "u8);
        if (Accounts.SetUid(uid) == -1) Errors.DieSys(111, Native.Errno, "setuidgid: fatal: "u8, "unable to setuid: "u8);
        Exec.RunOrDie("setuidgid: fatal: "u8, argv[2..]);
        return 111;
    }
}
