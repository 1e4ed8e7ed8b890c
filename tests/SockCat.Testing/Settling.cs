namespace SockCat.Testing;

/// <summary>Waits for a throttled state: a counter that has stopped moving.</summary>
public static class Settling
{
    /// <summary>
    /// Returns once <paramref name="value"/> is above 0 and has not changed for 300 ms, failing after 10 s with
    /// <paramref name="failure"/>: the throttled state itself, not a sleep standing in for it.
    /// </summary>
    public static async Task WaitUntilStableAsync(Func<long> value, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var last = -1L;
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            var now = value();
            if (now != last || now == 0)
            {
                last = now;
                since = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - since > TimeSpan.FromMilliseconds(300))
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException(failure);
    }

    /// <summary>Returns once <paramref name="condition"/> holds, failing after <paramref name="timeout"/> (10 s by default) with <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }
}
