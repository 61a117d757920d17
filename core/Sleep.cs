// djb's sleep(N) without signals getting in the way: the whole interval passes even if a
// signal (which only writes to the self-pipe) interrupts poll(2).
namespace Toolkit;

public static class Sleep
{
    public static void Seconds(int seconds)
    {
        long deadline = Clock.Now() + seconds * 1000L;
        for (;;)
        {
            long left = deadline - Clock.Now();
            if (left <= 0) return;
            Sys.Poll(default, (int)left);
        }
    }
}
