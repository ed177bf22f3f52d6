using System.Text.RegularExpressions;
using Sysprint.Engine;

namespace Sysprint.Evaluation;

/// <summary>The logs of an evaluation: learnt, normal (false alarms) and attack (detections).</summary>
public sealed partial class EvalInputs
{
    public required IReadOnlyList<string> Train { get; init; }

    public required IReadOnlyList<LabelledLog> Normal { get; init; }

    public required IReadOnlyList<LabelledLog> Attack { get; init; }

    /// <summary>What the inputs are, for reports (e.g. "ADFA-LD protocol (a)").</summary>
    public string Description { get; init; } = "";

    /// <summary>Files left out while the paths were searched (empty files, broken links, ...), each with why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// Expands the paths (files or directories). The attack kind of a log is its first-level folder
    /// under the attack path, without a run number suffix (ADFA-LD's <c>Adduser_3</c> is kind <c>Adduser</c>).
    /// </summary>
    public static EvalInputs FromPaths(IEnumerable<string> train, IEnumerable<string> normal, IEnumerable<string> attack, string description = "")
    {
        ArgumentNullException.ThrowIfNull(attack);
        var notes = new List<string>();
        var attacks = new List<LabelledLog>();
        foreach (string root in attack)
        {
            foreach (string file in LogFinder.Expand([root], notes))
            {
                attacks.Add(new LabelledLog(file, KindOf(root, file)));
            }
        }

        return new EvalInputs
        {
            Train = LogFinder.Expand(train, notes),
            Normal = [.. LogFinder.Expand(normal, notes).Select(f => new LabelledLog(f, null))],
            Attack = attacks,
            Description = description,
            Notes = notes,
        };
    }

    /// <summary>
    /// The ADFA-LD layout. Protocol "a": learn Training_Data_Master; normal = all of
    /// Validation_Data_Master. Protocol "b": also learn the odd-numbered validation traces
    /// (UVD-0001, UVD-0003, ...) and keep the even-numbered ones as normal.
    /// </summary>
    public static EvalInputs Adfa(string root, string protocol)
    {
        ArgumentNullException.ThrowIfNull(root);
        var notes = new List<string>();
        IReadOnlyList<string> training = LogFinder.Expand([Path.Combine(root, "Training_Data_Master")], notes);
        IReadOnlyList<string> validation = LogFinder.Expand([Path.Combine(root, "Validation_Data_Master")], notes);
        string attackRoot = Path.Combine(root, "Attack_Data_Master");
        var attacks = LogFinder.Expand([attackRoot], notes).Select(f => new LabelledLog(f, KindOf(attackRoot, f))).ToList();
        if (protocol == "b")
        {
            var learnt = validation.Where(f => TraceNumber(f) % 2 == 1).ToList();
            var held = validation.Where(f => TraceNumber(f) % 2 == 0).ToList();
            return new EvalInputs
            {
                Train = [.. training, .. learnt],
                Normal = [.. held.Select(f => new LabelledLog(f, null))],
                Attack = attacks,
                Description = "ADFA-LD protocol (b): learn Training_Data_Master and the odd-numbered Validation_Data_Master traces; false alarms on the even-numbered ones",
                Notes = notes,
            };
        }

        return new EvalInputs
        {
            Train = training,
            Normal = [.. validation.Select(f => new LabelledLog(f, null))],
            Attack = attacks,
            Description = "ADFA-LD protocol (a): learn Training_Data_Master; false alarms on all of Validation_Data_Master",
            Notes = notes,
        };
    }

    private static string KindOf(string root, string file)
    {
        string relative = Path.GetRelativePath(root, file);
        int slash = relative.IndexOf(Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (slash < 0)
        {
            return "attack";
        }

        string folder = relative[..slash];
        return RunSuffix().Replace(folder, "");
    }

    private static int TraceNumber(string file)
    {
        Match m = Digits().Match(Path.GetFileNameWithoutExtension(file));
        return m.Success ? int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"_\d+$")]
    private static partial Regex RunSuffix();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
