using System.Diagnostics;

namespace Sysprint.TestSupport;

/// <summary>Builds the LD_PRELOAD payloads of <c>TestData/injections.c</c> with the real C compiler.</summary>
public static class Injection
{
    /// <summary>Compiles the payload <paramref name="payload"/> (<c>-DPAYLOAD_NAME</c>) into a library in <paramref name="dir"/>; returns its path.</summary>
    public static string Build(string dir, string payload)
    {
        string library = Path.Combine(dir, $"inject-{payload.ToLowerInvariant()}.so");
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

    /// <summary>The same, into <paramref name="dir"/>'s folder.</summary>
    public static string Build(TempDir dir, string payload) => Build(dir.Root, payload);
}
