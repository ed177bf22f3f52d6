using System.Diagnostics;

namespace Sysprint.TestSupport;

/// <summary>Builds a test's own C program with the real C compiler.</summary>
public static class CProgram
{
    /// <summary>Writes <paramref name="source"/> to <c>NAME.c</c> in <paramref name="dir"/> and compiles it with <c>cc FLAGS</c>; returns the program's path.</summary>
    public static string Build(TempDir dir, string name, string source, params string[] flags)
    {
        ArgumentNullException.ThrowIfNull(dir);
        string file = dir.PathOf(name + ".c");
        string program = dir.PathOf(name);
        File.WriteAllText(file, source);
        var start = new ProcessStartInfo("cc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in flags.Concat(["-o", program, file]))
        {
            start.ArgumentList.Add(arg);
        }

        using Process cc = Process.Start(start)!;
        string errors = cc.StandardError.ReadToEnd();
        cc.WaitForExit();
        Assert.True(cc.ExitCode == 0, errors);
        return program;
    }
}
