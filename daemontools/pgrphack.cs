// pgrphack CHILD...: run CHILD in a new session (and so a new process group).
using Toolkit;

static class Pgrphack
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "pgrphack: usage: pgrphack child"u8);
        Native.setsid();
        Exec.RunOrDie("pgrphack: fatal: "u8, argv[1..]);
        return 111;
    }
}
