using Sysprint.Diagnostics;
using Sysprint.Evaluation;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.TestSupport;

namespace Sysprint.Core.Tests.Evaluation;

/// <summary>
/// <see cref="Evaluator"/> and <see cref="EvalInputs"/> on a tiny labelled data set in UNM form
/// (one <c>PID NUMBER</c> pair per line), on a fake ADFA-LD layout, and on the real ADFA-LD.
/// </summary>
public sealed class EvaluatorTests : IDisposable
{
    private static readonly SyscallTable s_x86_64 = SyscallTable.Builtin("x86_64");
    private static readonly LogReadOptions s_unm = new() { Format = LogFormat.Unm };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Learnt pairs: 1→2, 2→3, 3→4, 4→1 (t1, learnt twice verbatim as t2) and 3→5, 5→1 (t3).
    /// Attack kinds: Adduser (from Adduser_3 and Adduser_7) and Hydra_FTP (one file a level deeper).
    /// </summary>
    private EvalInputs WriteUnmDataSet()
    {
        Write("train/t1.log", Unm(10, 1, 2, 3, 4, 1, 2, 3, 4));
        Write("train/t2.log", Unm(10, 1, 2, 3, 4, 1, 2, 3, 4));
        Write("train/t3.log", Unm(20, 1, 2, 3, 5, 1, 2, 3, 5));
        Write("normal/n1.log", Unm(11, 1, 2, 3, 4, 1, 2, 3, 5)); // no unseen pair
        Write("normal/n2.log", Unm(12, 2, 3, 4, 1, 2)); // no unseen pair
        Write("normal/n3.log", Unm(13, 1, 2, 3, 4, 5)); // 4→5
        Write("attack/Adduser_3/a1.log", Unm(40, 1, 2, 3, 9, 1)); // 3→9, 9→1
        Write("attack/Adduser_7/a2.log", Unm(41, 1, 2, 3, 4)); // none
        Write("attack/Hydra_FTP/b1.log", Unm(42, 4, 1, 2, 6)); // 2→6
        // Two processes interleaved: 30 runs 1 2 3 4 (learnt), 31 runs 3 1 (unseen 3→1).
        Write("attack/Hydra_FTP/run2/b2.log", "30 1\n30 2\n31 3\n30 3\n31 1\n30 4\n");
        Write("attack/Hydra_FTP/b3.log", Unm(43, 3, 5, 1, 2)); // none
        return EvalInputs.FromPaths([_dir.PathOf("train")], [_dir.PathOf("normal")], [_dir.PathOf("attack")], "tiny UNM set");
    }

    private void Write(string relative, string text)
    {
        string path = _dir.PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Unm(int pid, params int[] calls) => string.Concat(calls.Select(c => $"{pid} {c}\n"));

    private static Dictionary<string, double> ByFile(IReadOnlyList<LabelledLog> logs, double[] scores) =>
        logs.Select((log, i) => (Path.GetFileName(log.Path), scores[i])).ToDictionary(p => p.Item1, p => p.Item2);

    [Fact]
    public void Inputs_from_paths_label_each_attack_with_its_first_level_folder_without_run_number()
    {
        EvalInputs inputs = WriteUnmDataSet();

        Assert.Equal(3, inputs.Train.Count);
        Assert.Equal(3, inputs.Normal.Count);
        Assert.All(inputs.Normal, log => Assert.Null(log.Kind));
        Assert.Equal(
            [("a1.log", "Adduser"), ("a2.log", "Adduser"), ("b1.log", "Hydra_FTP"), ("b2.log", "Hydra_FTP"), ("b3.log", "Hydra_FTP")],
            inputs.Attack.Select(a => (Path.GetFileName(a.Path), a.Kind)).OrderBy(p => p.Item1, StringComparer.Ordinal));
    }

    [Fact]
    public void Paper_detector_counts_the_unseen_pairs_of_each_normal_and_attack_trace()
    {
        EvalInputs inputs = WriteUnmDataSet();

        EvalResult result = Evaluator.Run(inputs, s_x86_64, s_unm);

        DetectorResult paper = result.Detectors[0];
        Assert.Equal("paper", paper.Name);
        Assert.Equal(
            new Dictionary<string, double> { ["n1.log"] = 0, ["n2.log"] = 0, ["n3.log"] = 1 },
            ByFile(inputs.Normal, paper.NormalScores));
        Assert.Equal(
            new Dictionary<string, double> { ["a1.log"] = 2, ["a2.log"] = 0, ["b1.log"] = 1, ["b2.log"] = 1, ["b3.log"] = 0 },
            ByFile(inputs.Attack, paper.AttackScores));
    }

    [Fact]
    public void Paper_detector_flags_exactly_the_attack_traces_holding_a_pair_no_training_trace_holds()
    {
        EvalInputs inputs = WriteUnmDataSet();
        HashSet<(int, int)> learnt = [.. inputs.Train.SelectMany(path => Pairs(File.ReadAllText(path)))];
        bool[] holdsUnseen = [.. inputs.Attack.Select(a => Pairs(File.ReadAllText(a.Path)).Any(p => !learnt.Contains(p)))];

        EvalResult result = Evaluator.Run(inputs, s_x86_64, s_unm);

        DetectorResult paper = result.Detectors.Single(d => d.Name == "paper");
        Assert.Equal(holdsUnseen, paper.AttackScores.Select(s => s > 0));
        Assert.Equal([true, false, true, true, false], holdsUnseen.Select((h, i) => (Path.GetFileName(inputs.Attack[i].Path), h)).OrderBy(p => p.Item1, StringComparer.Ordinal).Select(p => p.h));
    }

    [Fact]
    public void Paper_detector_and_stide_with_pairs_give_the_same_scores_and_curve()
    {
        EvalInputs inputs = WriteUnmDataSet();

        EvalResult result = Evaluator.Run(inputs, s_x86_64, s_unm);

        DetectorResult paper = result.Detectors.Single(d => d.Name == "paper");
        DetectorResult stide2 = result.Detectors.Single(d => d.Name == "stide-2");
        Assert.Equal(paper.NormalScores, stide2.NormalScores);
        Assert.Equal(paper.AttackScores, stide2.AttackScores);
        Assert.Equal(paper.Roc.Points, stide2.Roc.Points);
        // Attack 2 beats all 3 normal scores, each attack 1 beats two and ties one, each attack 0
        // ties two: (3 + 2.5 + 2.5 + 1 + 1) / (5 × 3).
        Assert.Equal(10 / 15.0, paper.Roc.Auc, 12);
    }

    [Fact]
    public void Detection_rate_per_kind_counts_the_attacks_of_each_kind_above_the_threshold()
    {
        EvalInputs inputs = WriteUnmDataSet();

        EvalResult result = Evaluator.Run(inputs, s_x86_64, s_unm);

        DetectorResult paper = result.Detectors[0];
        Assert.Equal(["Adduser", "Hydra_FTP"], result.AttackKinds);
        Assert.Equal(new Dictionary<string, double> { ["Adduser"] = 0.5, ["Hydra_FTP"] = 2 / 3.0 }, result.DetectionByKind(paper, 0));
        Assert.Equal(new Dictionary<string, double> { ["Adduser"] = 0.5, ["Hydra_FTP"] = 0 }, result.DetectionByKind(paper, 1));
        Assert.Equal(new Dictionary<string, double> { ["Adduser"] = 0, ["Hydra_FTP"] = 0 }, result.DetectionByKind(paper, 2));
    }

    [Fact]
    public void Training_trace_repeated_verbatim_is_learnt_once()
    {
        EvalInputs inputs = WriteUnmDataSet();

        EvalResult result = Evaluator.Run(inputs, s_x86_64, s_unm);

        // t1 brings 4 pairs and 3 six-call windows; its copy t2 nothing; t3 2 pairs and 3 windows.
        Assert.Equal(3, result.Inputs.Train.Count);
        Assert.Equal([(1, 4, 3), (2, 6, 6)], result.Convergence);
        Assert.Equal(16, result.TrainCalls);
        Assert.Equal(5 + 5 + 8, result.NormalCalls);
        Assert.Equal(5 + 4 + 4 + 6 + 4, result.AttackCalls);
    }

    [Fact]
    public void Every_detector_scores_every_trace_and_has_an_area_between_zero_and_one()
    {
        EvalInputs inputs = WriteUnmDataSet();

        EvalResult result = Evaluator.Run(inputs, s_x86_64, s_unm);

        Assert.Equal(15, result.Detectors.Count);
        Assert.All(result.Detectors, d =>
        {
            Assert.Equal(3, d.NormalScores.Length);
            Assert.Equal(5, d.AttackScores.Length);
            Assert.InRange(d.Roc.Auc, 0, 1);
            Assert.Equal(d.Roc.Auc, Roc.Of(d.NormalScores, d.AttackScores).Auc);
        });
    }

    [Fact]
    public void Malformed_log_is_reported_as_the_readers_located_error_not_an_aggregate_one()
    {
        EvalInputs inputs = WriteUnmDataSet();
        Write("normal/n4.log", "12 2\n12 3\n12 x\n");
        inputs = EvalInputs.FromPaths(inputs.Train, [_dir.PathOf("normal")], [_dir.PathOf("attack")]);

        var ex = Assert.Throws<MalformedInputException>(() => Evaluator.Run(inputs, s_x86_64, s_unm));

        Assert.Equal($"{_dir.PathOf("normal/n4.log")}:3:4: expected a system call number after the process id, then the end of the line, found 'x'", ex.Message);
    }

    [Fact]
    public void Adfa_protocol_a_learns_training_only_and_checks_all_validation_traces()
    {
        string root = WriteFakeAdfa();

        EvalInputs inputs = EvalInputs.Adfa(root, "a");

        Assert.Equal(["UTD-0001.txt", "UTD-0002.txt"], inputs.Train.Select(Path.GetFileName));
        Assert.Equal(["UVD-0001.txt", "UVD-0002.txt", "UVD-0003.txt", "UVD-0004.txt", "UVD-0005.txt", "UVD-0010.txt"], inputs.Normal.Select(n => Path.GetFileName(n.Path)));
        Assert.StartsWith("ADFA-LD protocol (a)", inputs.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Adfa_protocol_b_also_learns_odd_numbered_validation_traces_and_checks_even_ones()
    {
        string root = WriteFakeAdfa();

        EvalInputs inputs = EvalInputs.Adfa(root, "b");

        Assert.Equal(["UTD-0001.txt", "UTD-0002.txt", "UVD-0001.txt", "UVD-0003.txt", "UVD-0005.txt"], inputs.Train.Select(Path.GetFileName));
        Assert.Equal(["UVD-0002.txt", "UVD-0004.txt", "UVD-0010.txt"], inputs.Normal.Select(n => Path.GetFileName(n.Path)));
        Assert.All(inputs.Normal, n => Assert.Null(n.Kind));
        Assert.StartsWith("ADFA-LD protocol (b)", inputs.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Adfa_attack_kind_is_the_attack_folder_without_its_run_number()
    {
        string root = WriteFakeAdfa();

        EvalInputs inputs = EvalInputs.Adfa(root, "b");

        Assert.Equal(
            [("UAD-Adduser-1-1371.txt", "Adduser"), ("UAD-Adduser-2-12.txt", "Adduser"), ("UAD-WS-1-7.txt", "Web_Shell")],
            inputs.Attack.Select(a => (Path.GetFileName(a.Path), a.Kind)));
    }

    [Fact]
    public void Adfa_protocol_b_evaluates_the_fake_layout_end_to_end()
    {
        string root = WriteFakeAdfa();

        EvalResult result = Evaluator.Run(EvalInputs.Adfa(root, "b"), SyscallTable.Builtin("i386"), new LogReadOptions { Format = LogFormat.Adfa });

        DetectorResult paper = result.Detectors[0];
        // Learnt pairs 6→6, 6→63, 63→6, 6→42, 42→120, 120→6 (and UVD-0001's 6→195, UVD-0003's 195→6).
        Assert.Equal(new Dictionary<string, double> { ["UVD-0002.txt"] = 0, ["UVD-0004.txt"] = 0, ["UVD-0010.txt"] = 1 }, ByFile(result.Inputs.Normal, paper.NormalScores));
        Assert.Equal(new Dictionary<string, double> { ["UAD-Adduser-1-1371.txt"] = 2, ["UAD-Adduser-2-12.txt"] = 0, ["UAD-WS-1-7.txt"] = 1 }, ByFile(result.Inputs.Attack, paper.AttackScores));
        Assert.Equal(["Adduser", "Web_Shell"], result.AttackKinds);
        Assert.Equal(new Dictionary<string, double> { ["Adduser"] = 0.5, ["Web_Shell"] = 1 }, result.DetectionByKind(paper, 0));
    }

    /// <summary>Every number log is one thread of i386 calls, space-separated as in ADFA-LD.</summary>
    private string WriteFakeAdfa()
    {
        Write("adfa/Training_Data_Master/UTD-0001.txt", "6 6 63 6 42 120 6 ");
        Write("adfa/Training_Data_Master/UTD-0002.txt", "6 63 6 6 ");
        Write("adfa/Validation_Data_Master/UVD-0001.txt", "6 195 ");
        Write("adfa/Validation_Data_Master/UVD-0002.txt", "6 6 63 ");
        Write("adfa/Validation_Data_Master/UVD-0003.txt", "195 6 ");
        Write("adfa/Validation_Data_Master/UVD-0004.txt", "6 195 6 ");
        Write("adfa/Validation_Data_Master/UVD-0005.txt", "120 6 ");
        Write("adfa/Validation_Data_Master/UVD-0010.txt", "63 42 ");
        Write("adfa/Attack_Data_Master/Adduser_1/UAD-Adduser-1-1371.txt", "6 252 6 ");
        Write("adfa/Attack_Data_Master/Adduser_2/UAD-Adduser-2-12.txt", "6 6 42 ");
        Write("adfa/Attack_Data_Master/Web_Shell_1/UAD-WS-1-7.txt", "42 6 ");
        return _dir.PathOf("adfa");
    }

    [Fact]
    public void Adfa_ld_protocol_a_has_the_data_set_structure_and_consistent_detectors()
    {
        string root = Repository.AdfaLdOrSkip();
        string[][] training = [.. Directory.GetFiles(Path.Combine(root, "Training_Data_Master")).Select(Tokens)];
        var distinct = training.DistinctBy(t => string.Join(' ', t), StringComparer.Ordinal).ToList();

        EvalResult result = Evaluator.Run(EvalInputs.Adfa(root, "a"), SyscallTable.Builtin("i386"), new LogReadOptions { Format = LogFormat.Adfa });

        Assert.Equal(833, result.Inputs.Train.Count);
        Assert.Equal(4372, result.Inputs.Normal.Count);
        Assert.Equal(746, result.Inputs.Attack.Count);
        Assert.Equal(["Adduser", "Hydra_FTP", "Hydra_SSH", "Java_Meterpreter", "Meterpreter", "Web_Shell"], result.AttackKinds);
        // Repeated training traces are learnt once: one convergence entry per distinct trace.
        Assert.Equal(distinct.Count, result.Convergence.Count);
        Assert.True(distinct.Count < 833, $"{distinct.Count} distinct training traces");
        Assert.Equal(distinct.Sum(t => (long)t.Length), result.TrainCalls);
        Assert.Equal(2_122_085, result.NormalCalls);
        Assert.Equal(317_388, result.AttackCalls);
        Assert.All(result.Detectors, d => Assert.InRange(d.Roc.Auc, 0, 1));
        DetectorResult paper = result.Detectors.Single(d => d.Name == "paper");
        DetectorResult stide2 = result.Detectors.Single(d => d.Name == "stide-2");
        Assert.Equal(stide2.Roc.Auc, paper.Roc.Auc);
        Assert.Equal(stide2.AttackScores, paper.AttackScores);
    }

    [Fact]
    public void Adfa_ld_protocol_b_learns_the_odd_half_of_validation()
    {
        string root = Repository.AdfaLdOrSkip();

        EvalInputs inputs = EvalInputs.Adfa(root, "b");

        Assert.Equal(833 + 2186, inputs.Train.Count);
        Assert.Equal(2186, inputs.Normal.Count);
        Assert.Equal(746, inputs.Attack.Count);
        Assert.DoesNotContain(inputs.Normal, n => inputs.Train.Contains(n.Path));
    }

    private static string[] Tokens(string path) =>
        File.ReadAllText(path).Split([' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The consecutive call pairs of each process of a UNM log, read independently of the parser.</summary>
    private static IEnumerable<(int, int)> Pairs(string unm)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string line in unm.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            int call = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            if (last.TryGetValue(parts[0], out int previous))
            {
                yield return (previous, call);
            }

            last[parts[0]] = call;
        }
    }
}
