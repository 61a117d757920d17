// djb's sleep(N) without signals getting in the way: the whole interval passes even if a
// signal (which only writes to the self-pipe) interrupts poll(2).
namespace Toolkit;

public static unsafe class Sleep
{
    public static void Seconds(int seconds)
    {
        long deadline = MonotonicMs() + seconds * 1000L;
        for (;;)
        {
            long left = deadline - MonotonicMs();
            if (left <= 0) return;
            Native.poll(null, 0, (int)left);
        }
    }

    static long MonotonicMs()
    {
        Native.TimeSpec now;
        Native.clock_gettime(Native.CLOCK_MONOTONIC, &now);
        return now.Sec * 1000 + now.Nsec / 1000000;
    }
}
