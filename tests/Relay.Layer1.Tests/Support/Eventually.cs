namespace Relay.Layer1.Tests.Support;

/// <summary>
/// Waits for a condition that no event announces (a file disappearing from a folder, a counter
/// in another node), checking it at short intervals and failing after a bounded time.
/// </summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout}: {because}");
            }

            await Task.Delay(20);
        }
    }
}
