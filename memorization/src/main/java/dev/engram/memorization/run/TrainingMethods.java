package dev.engram.memorization.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.engram.memorization.io.Results;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The training methods of a run that change how it memorizes noisy labels (docs/methods.md §10), stored under the key
 * {@code methods} of {@code config.json}. {@link #STANDARD} is plain training (cross-entropy, the base optimizer, every
 * batch, the model as built); each field switches one method on:
 *
 * @param loss              {@code ce} or {@code sce}: symmetric cross-entropy, Wang et al. ICCV 2019 (§10.1)
 * @param sceAlpha          weight of the cross-entropy in {@code sce}
 * @param sceBeta           weight of the reverse cross-entropy in {@code sce}
 * @param samRho            neighbourhood radius of sharpness-aware minimization, Foret et al. ICLR 2021 (§10.2); 0 = off
 * @param samAdaptive       the adaptive variant (ASAM)
 * @param jocor             train two networks with JoCoR, Wei et al. CVPR 2020 (§10.3)
 * @param jocorLambda       weight of JoCoR's co-regularization
 * @param jocorForgetRate   JoCoR's final forget rate (usually the noise fraction)
 * @param jocorForgetEpochs epochs over which JoCoR's forget rate rises to its final value
 * @param rhoLoss           RHO-LOSS selection, Mindermann et al. ICML 2022 (§10.4)
 * @param rhoBatchFactor    RHO-LOSS's large batch is this many training batches; the batch trained on is the part with
 *                          the highest reducible loss
 * @param rhoIlEpochs       epochs of the irreducible-loss models; 0 = the run's
 * @param dropout           standard dropout probability after the hidden activations of {@code mlp} and {@code cnn},
 *                          Arpit et al. ICML 2017 (§10.5); 0 = none
 * @param reinitLayers      layer groups to re-initialize during training (§10.6), comma-separated, bottom first; "" = off
 * @param reinitEvery       re-initialize after every this many epochs
 * @param reinitUntil       last epoch after which a re-initialization happens; 0 = up to the second-to-last epoch
 * @param reinitOrder       {@code together}: every listed group at each re-initialization; {@code bottom-up}: the
 *                          k-th re-initialization keeps the k lowest listed groups and resets those above them
 */
public record TrainingMethods(String loss, double sceAlpha, double sceBeta, double samRho, boolean samAdaptive,
                              boolean jocor, double jocorLambda, double jocorForgetRate, int jocorForgetEpochs,
                              boolean rhoLoss, int rhoBatchFactor, int rhoIlEpochs, double dropout, String reinitLayers,
                              int reinitEvery, int reinitUntil, String reinitOrder) {

    /** Losses. */
    public static final List<String> LOSSES = List.of("ce", "sce");
    /** Re-initialization orders. */
    public static final List<String> REINIT_ORDERS = List.of("together", "bottom-up");

    /**
     * Plain training, with the papers' hyperparameters for each method ready to be switched on: SCE alpha 0.1, beta 1.0
     * (Wang et al.'s CIFAR-10 values), SAM rho 0.05, JoCoR lambda 0.9, forget rate 0.1 over Tk = 10 epochs,
     * RHO-LOSS keeping a tenth of each large batch, re-initialization every 5 epochs.
     */
    public static final TrainingMethods STANDARD = new TrainingMethods("ce", 0.1, 1.0, 0, false, false, 0.9, 0.1, 10,
            false, 10, 0, 0, "", 5, 0, "together");

    /** Validates every field; the message names the field and its value. */
    public TrainingMethods {
        if (loss == null || !LOSSES.contains(loss)) throw bad("loss", loss, "one of " + LOSSES);
        if (!(sceAlpha >= 0) || !(sceBeta >= 0) || sceAlpha + sceBeta == 0 || !Double.isFinite(sceAlpha + sceBeta)) {
            throw bad("sceAlpha/sceBeta", sceAlpha + "/" + sceBeta, "finite, >= 0, not both 0");
        }
        if (!(samRho >= 0) || !Double.isFinite(samRho)) throw bad("samRho", samRho, ">= 0 (0 = off)");
        if (!(jocorLambda >= 0 && jocorLambda <= 1)) throw bad("jocorLambda", jocorLambda, "in [0, 1]");
        if (!(jocorForgetRate >= 0 && jocorForgetRate < 1)) throw bad("jocorForgetRate", jocorForgetRate, "in [0, 1)");
        if (jocorForgetEpochs < 1) throw bad("jocorForgetEpochs", jocorForgetEpochs, ">= 1");
        if (rhoBatchFactor < 2) throw bad("rhoBatchFactor", rhoBatchFactor, ">= 2");
        if (rhoIlEpochs < 0) throw bad("rhoIlEpochs", rhoIlEpochs, ">= 0 (0 = the run's epochs)");
        if (!(dropout >= 0 && dropout < 1)) throw bad("dropout", dropout, "in [0, 1)");
        if (reinitLayers == null) throw bad("reinitLayers", null, "\"\" or comma-separated layer groups");
        if (reinitEvery < 1) throw bad("reinitEvery", reinitEvery, ">= 1");
        if (reinitUntil < 0) throw bad("reinitUntil", reinitUntil, ">= 0 (0 = up to the second-to-last epoch)");
        if (reinitOrder == null || !REINIT_ORDERS.contains(reinitOrder)) throw bad("reinitOrder", reinitOrder, "one of " + REINIT_ORDERS);
        if (jocor && loss.equals("sce")) throw bad("loss", loss, "ce with jocor (JoCoR has its own joint loss)");
        if (jocor && rhoLoss) throw bad("rhoLoss", true, "false with jocor (one selection rule at a time)");
    }

    /** Whether symmetric cross-entropy replaces cross-entropy. */
    public boolean sce() {
        return loss.equals("sce");
    }

    /** Whether SAM wraps the optimizer. */
    public boolean sam() {
        return samRho > 0;
    }

    /** The layer groups to re-initialize, bottom first (empty = off). */
    public List<String> reinitGroups() {
        if (reinitLayers.isBlank()) return List.of();
        return Arrays.stream(reinitLayers.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** Whether this is plain training. */
    public boolean isStandard() {
        return !sce() && !sam() && !jocor && !rhoLoss && dropout == 0 && reinitGroups().isEmpty();
    }

    /** A short label naming the methods switched on ("standard" when none). */
    public String label() {
        List<String> parts = new ArrayList<>();
        if (sce()) parts.add(String.format(Locale.ROOT, "sce(a=%s,b=%s)", num(sceAlpha), num(sceBeta)));
        if (sam()) parts.add(String.format(Locale.ROOT, "%s(rho=%s)", samAdaptive ? "asam" : "sam", num(samRho)));
        if (jocor) parts.add(String.format(Locale.ROOT, "jocor(lambda=%s,tau=%s)", num(jocorLambda), num(jocorForgetRate)));
        if (rhoLoss) parts.add("rho-loss(1/" + rhoBatchFactor + ")");
        if (dropout > 0) parts.add("dropout(" + num(dropout) + ")");
        if (!reinitGroups().isEmpty()) parts.add("reinit(" + String.join("+", reinitGroups()) + "/" + reinitEvery + "ep)");
        return parts.isEmpty() ? "standard" : String.join("+", parts);
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** A builder starting from this value. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Sets fields one by one; {@link #build} validates. */
    public static final class Builder {
        private String loss, reinitLayers, reinitOrder;
        private double sceAlpha, sceBeta, samRho, jocorLambda, jocorForgetRate, dropout;
        private boolean samAdaptive, jocor, rhoLoss;
        private int jocorForgetEpochs, rhoBatchFactor, rhoIlEpochs, reinitEvery, reinitUntil;

        private Builder(TrainingMethods m) {
            loss = m.loss;
            sceAlpha = m.sceAlpha;
            sceBeta = m.sceBeta;
            samRho = m.samRho;
            samAdaptive = m.samAdaptive;
            jocor = m.jocor;
            jocorLambda = m.jocorLambda;
            jocorForgetRate = m.jocorForgetRate;
            jocorForgetEpochs = m.jocorForgetEpochs;
            rhoLoss = m.rhoLoss;
            rhoBatchFactor = m.rhoBatchFactor;
            rhoIlEpochs = m.rhoIlEpochs;
            dropout = m.dropout;
            reinitLayers = m.reinitLayers;
            reinitEvery = m.reinitEvery;
            reinitUntil = m.reinitUntil;
            reinitOrder = m.reinitOrder;
        }

        /** Symmetric cross-entropy with these weights. */
        public Builder sce(double alpha, double beta) { loss = "sce"; sceAlpha = alpha; sceBeta = beta; return this; }

        /** The loss, {@code ce} or {@code sce}. */
        public Builder loss(String v) { loss = v; return this; }

        /** SAM with radius rho (0 = off), adaptive or not. */
        public Builder sam(double rho, boolean adaptive) { samRho = rho; samAdaptive = adaptive; return this; }

        /** JoCoR on or off with its co-regularization weight, final forget rate and forget epochs. */
        public Builder jocor(boolean on, double lambda, double forgetRate, int forgetEpochs) {
            jocor = on; jocorLambda = lambda; jocorForgetRate = forgetRate; jocorForgetEpochs = forgetEpochs; return this;
        }

        /** RHO-LOSS selection on or off, with its large-batch factor and irreducible-loss epochs (0 = the run's). */
        public Builder rhoLoss(boolean on, int batchFactor, int ilEpochs) {
            rhoLoss = on; rhoBatchFactor = batchFactor; rhoIlEpochs = ilEpochs; return this;
        }

        /** Dropout probability (0 = none). */
        public Builder dropout(double v) { dropout = v; return this; }

        /** Re-initialization of these groups (comma-separated, "" = off) every {@code every} epochs up to {@code until}. */
        public Builder reinit(String layers, int every, int until, String order) {
            reinitLayers = layers; reinitEvery = every; reinitUntil = until; reinitOrder = order; return this;
        }

        /** The validated value. */
        public TrainingMethods build() {
            return new TrainingMethods(loss, sceAlpha, sceBeta, samRho, samAdaptive, jocor, jocorLambda, jocorForgetRate,
                    jocorForgetEpochs, rhoLoss, rhoBatchFactor, rhoIlEpochs, dropout, reinitLayers, reinitEvery,
                    reinitUntil, reinitOrder);
        }
    }

    /**
     * The {@code methods} object of a config file completed with {@link #STANDARD}'s values for missing keys (so a
     * hand-written config can name only the methods it uses), except that JoCoR turned on without a forget rate gets
     * the run's noise fraction, as on the command line; an unknown key is refused.
     *
     * @param source        name used in error messages
     * @param noiseFraction the configuration's noise fraction (NaN when it has none)
     */
    static JsonObject completed(JsonElement e, String source, double noiseFraction) {
        if (!e.isJsonObject()) throw new IllegalArgumentException(source + ": config field 'methods' must be a JSON object");
        JsonObject given = e.getAsJsonObject();
        JsonObject out = Results.GSON.toJsonTree(STANDARD).getAsJsonObject();
        Set<String> names = new LinkedHashSet<>();
        for (RecordComponent c : TrainingMethods.class.getRecordComponents()) names.add(c.getName());
        List<String> unknown = new ArrayList<>();
        for (String k : given.keySet()) {
            if (!names.contains(k)) unknown.add(k);
            else out.add(k, given.get(k));
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": unknown key(s) " + unknown + " in config field 'methods'; known: " + names);
        }
        boolean jocorOn = given.has("jocor") && given.get("jocor").isJsonPrimitive() && given.get("jocor").getAsJsonPrimitive().isBoolean()
                && given.get("jocor").getAsBoolean();
        if (jocorOn && !given.has("jocorForgetRate") && noiseFraction >= 0 && noiseFraction < 1) {
            out.addProperty("jocorForgetRate", noiseFraction);
        }
        return out;
    }

    private static IllegalArgumentException bad(String field, Object value, String expected) {
        return new IllegalArgumentException("config field 'methods." + field + "' is " + value + ", expected " + expected);
    }
}
