// The one monotonic clock, in milliseconds, for deadlines and sleeps: unlike the time of day,
// it never jumps.
namespace Toolkit;

public static unsafe class Clock
{
    public static long Now()
    {
        Native.TimeSpec now;
        Native.clock_gettime(Native.CLOCK_MONOTONIC, &now);
        return now.Sec * 1000 + now.Nsec / 1000000;
    }
}
