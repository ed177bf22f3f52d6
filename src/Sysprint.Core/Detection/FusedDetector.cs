using Sysprint.Model;

namespace Sysprint.Detection;

/// <summary>
/// Our third design: zstide's sequence score and callset's vocabulary distance together. Each is
/// turned into a z-score with the mean and deviation it has on the learnt logs held out in learning
/// order (<see cref="NormalRuns.HeldOutLogs"/>), and the score is the mean of the two. Unseen call
/// sequences and an unusual vocabulary catch different attacks; standardised on held-out logs,
/// neither dominates. Learns from normal logs only; an alert is explained by zstide's unseen windows
/// and callset's added and missing calls.
/// </summary>
public sealed class FusedDetector : Detector
{
    public const string KindName = "fused";

    private static readonly FusedDetector s_instance = new();

    /// <summary>The registration.</summary>
    public static DetectorKind Registration { get; } = new(KindName, _ => s_instance, () => [s_instance]);

    private static Detector Sequence => ZStideDetector.Registration.ForProfile(Fingerprint.MinWindow);

    private static Detector Vocabulary => CallSetDetector.Registration.ForProfile(Fingerprint.MinWindow);

    public override string Name => KindName;

    public override string Kind => KindName;

    public override string Description => "zstide and callset, each standardised on the learnt logs held out in learning order, averaged";

    public override bool ReadsWindowCounts => true;

    public override string? CalibrationName => KindName;

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(normal);
        return new Scorer(normal.Calibration(Calibrate), Sequence.NewScorer(normal, options), Vocabulary.NewScorer(normal, options), options);
    }

    public override double[] HeldOut(NormalRuns normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        Calibrated calibrated = normal.Calibration(Calibrate);
        double[] sequence = Sequence.HeldOut(normal);
        double[] vocabulary = Vocabulary.HeldOut(normal);
        var scores = new double[sequence.Length];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = calibrated.Score(sequence[i], vocabulary[i]);
        }

        return scores;
    }

    /// <summary>The mean and deviation of zstide's and callset's scores over the held-out learnt logs.</summary>
    internal static Calibrated Calibrate(NormalRuns normal)
    {
        (double sequenceMean, double sequenceDeviation) = MeanAndDeviation(Sequence.HeldOut(normal));
        (double vocabularyMean, double vocabularyDeviation) = MeanAndDeviation(Vocabulary.HeldOut(normal));
        return new Calibrated(sequenceMean, sequenceDeviation, vocabularyMean, vocabularyDeviation);
    }

    private static (double Mean, double Deviation) MeanAndDeviation(double[] values)
    {
        if (values.Length < 2)
        {
            return (0, 1);
        }

        double sum = 0;
        double squares = 0;
        foreach (double v in values)
        {
            sum += v;
            squares += v * v;
        }

        double mean = sum / values.Length;
        return (mean, Math.Max(Math.Sqrt(Math.Max(0, (squares / values.Length) - (mean * mean))), 1e-6));
    }

    /// <summary>The calibration: zstide's and callset's mean and deviation over the held-out learnt logs.</summary>
    internal sealed record Calibrated(double SequenceMean, double SequenceDeviation, double VocabularyMean, double VocabularyDeviation)
    {
        /// <summary>The score of a log whose zstide score is <paramref name="sequence"/> and callset distance <paramref name="vocabulary"/>.</summary>
        public double Score(double sequence, double vocabulary) =>
            (((sequence - SequenceMean) / SequenceDeviation) + ((vocabulary - VocabularyMean) / VocabularyDeviation)) / 2;
    }

    /// <summary>Feeds both scorers; the score and the explanations (windows, then calls) come from both at the end.</summary>
    private sealed class Scorer : DetectorScorer
    {
        private readonly Calibrated _calibrated;
        private readonly DetectorScorer _sequence;
        private readonly DetectorScorer _vocabulary;

        public Scorer(Calibrated calibrated, DetectorScorer sequence, DetectorScorer vocabulary, ScorerOptions options)
            : base(options)
        {
            _calibrated = calibrated;
            _sequence = sequence;
            _vocabulary = vocabulary;
            _sequence.OnExplained = m => OnExplained?.Invoke(m);
            _vocabulary.OnExplained = m => OnExplained?.Invoke(m);
        }

        public override double Score => _calibrated.Score(_sequence.Score, _vocabulary.Score);

        public override void OnCall(in ScoredCall call)
        {
            _sequence.OnCall(call);
            _vocabulary.OnCall(call);
        }

        public override void OnThreadEnd(long thread)
        {
            _sequence.OnThreadEnd(thread);
            _vocabulary.OnThreadEnd(thread);
        }

        public override void OnThreadRenamed(long oldThread, long newThread)
        {
            _sequence.OnThreadRenamed(oldThread, newThread);
            _vocabulary.OnThreadRenamed(oldThread, newThread);
        }

        public override DetectorScore Finish()
        {
            DetectorScore sequence = _sequence.Finish();
            DetectorScore vocabulary = _vocabulary.Finish();
            return new DetectorScore(_calibrated.Score(sequence.Score, vocabulary.Score), sequence.Count + vocabulary.Count,
                [.. sequence.Details, .. vocabulary.Details], sequence.Truncated || vocabulary.Truncated);
        }
    }
}
