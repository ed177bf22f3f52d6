using System.Diagnostics;

namespace Sysprint.Agent.Tests.Support;

/// <summary>Builds the LD_PRELOAD payloads of the integration tests' <c>injections.c</c> with the real C compiler.</summary>
internal static class Injection
{
    public static string Build(TempDir dir, string payload)
    {
        string library = dir.PathOf($"inject-{payload.ToLowerInvariant()}.so");
        string source = Path.Combine(AppContext.BaseDirectory, "TestData", "injections.c");
        var start = new ProcessStartInfo("cc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-shared", "-fPIC", $"-DPAYLOAD_{payload}", "-o", library, source })
        {
            start.ArgumentList.Add(arg);
        }

        using Process cc = Process.Start(start)!;
        string errors = cc.StandardError.ReadToEnd();
        cc.WaitForExit();
        Assert.True(cc.ExitCode == 0, errors);
        return library;
    }
}
