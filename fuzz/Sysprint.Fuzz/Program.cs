using SharpFuzz;
using Sysprint.Fuzz;

// sysprint-fuzz READER            run under afl-fuzz (SharpFuzz fork server; input on stdin)
// sysprint-fuzz READER FILE...    replay inputs once each, printing each outcome (exit 1 on a finding)
if (args.Length == 0 || !FuzzTarget.TryParseReader(args[0], out var target))
{
    await Console.Error.WriteLineAsync($"usage: Sysprint.Fuzz {string.Join('|', FuzzTarget.Readers)} [FILE...]").ConfigureAwait(false);
    return 64;
}

if (args.Length == 1)
{
    Fuzzer.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.ToArray());
    });
    return 0;
}

int findings = 0;
foreach (string file in args.Skip(1))
{
    try
    {
        string outcome = target.Run(File.ReadAllBytes(file));
        Console.WriteLine($"{file}: {outcome}");
    }
    catch (Exception e) when (e is not OutOfMemoryException)
    {
        // A finding: the reader threw what it must never throw, or an invariant broke.
        findings++;
        Console.WriteLine($"{file}: FINDING {e}");
    }
}

return findings == 0 ? 0 : 1;
