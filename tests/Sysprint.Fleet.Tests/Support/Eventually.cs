namespace Sysprint.Fleet.Tests.Support;

/// <summary>Waits for a condition that becomes true asynchronously (an agent's delivery, a heartbeat), with a generous deadline.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, Func<string>? context = null, double seconds = 60)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"timed out after {seconds} s waiting for: {what}\n{context?.Invoke()}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
