namespace Sysprint.TestSupport;

/// <summary>
/// Waits for a condition that becomes true asynchronously (a delivery, a file growing, a row in a
/// store), polling it, with a deadline generous enough for a loaded 2-core machine: the deadline
/// only bounds a failure, it never decides a pass.
/// </summary>
public static class Eventually
{
    /// <summary>The default deadline.</summary>
    public const double DefaultSeconds = 60;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <paramref name="seconds"/>.</summary>
    public static void True(Func<bool> condition, string what, double seconds = DefaultSeconds)
    {
        ArgumentNullException.ThrowIfNull(condition);
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds} s waiting for: {what}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, double seconds = DefaultSeconds)
    {
        ArgumentNullException.ThrowIfNull(condition);
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds} s waiting for: {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Polls the asynchronous <paramref name="condition"/> (a query to a server or a store) until it
    /// holds; fails the test after <paramref name="seconds"/>, with <paramref name="context"/>'s text
    /// (a process's stderr, say) in the message.
    /// </summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, Func<string>? context = null, double seconds = DefaultSeconds)
    {
        ArgumentNullException.ThrowIfNull(condition);
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
