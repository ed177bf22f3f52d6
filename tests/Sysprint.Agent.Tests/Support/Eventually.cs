namespace Sysprint.Agent.Tests.Support;

/// <summary>Polls a condition that becomes true asynchronously (a delivery, a file growing).</summary>
internal static class Eventually
{
    public static void True(Func<bool> condition, string what, double seconds = 15)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds} s waiting for: {what}");
            Thread.Sleep(20);
        }
    }
}
