using System.Globalization;

namespace Sysprint.TestSupport;

/// <summary>
/// Signals this test process ignores, and so the processes it starts too (an ignored disposition
/// survives exec, and .NET then delivers no such signal to a PosixSignalRegistration): a test run
/// started under <c>nohup</c> ignores SIGHUP, and the agent's reload can never happen in it.
/// </summary>
public static class InheritedSignals
{
    /// <summary>Fails with the reason when this process ignores <paramref name="signal"/>.</summary>
    public static void AssertNotIgnored(int signal, string name)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
            {
                ulong mask = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                Assert.True((mask & (1UL << (signal - 1))) == 0,
                    $"this test run ignores {name} (started under nohup, or by a parent that ignores it): every process it starts inherits that, so {name} cannot reach the agent; run the tests without nohup (setsid is enough)");
                return;
            }
        }
    }
}
