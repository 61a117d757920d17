// envuidgid ACCOUNT CHILD...: run CHILD with $GID and $UID set to ACCOUNT's ids.
using Toolkit;

static class Envuidgid
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(100, "envuidgid: usage: envuidgid account child"u8);
        var account = argv[1];
        if (!Accounts.Lookup(account, out uint uid, out uint gid))
            Errors.Die(111, "envuidgid: fatal: "u8, "unknown account "u8, account);
        Exec.SetEnv("GID"u8, Numbers.Text(gid));
        Exec.SetEnv("UID"u8, Numbers.Text(uid));
        Exec.RunOrDie("envuidgid: fatal: "u8, argv[2..]);
        return 111;
    }
}
