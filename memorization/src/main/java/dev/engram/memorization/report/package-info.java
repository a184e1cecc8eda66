/**
 * The run's {@code report.html} and what it embeds: PNG charts drawn with XChart, galleries of training images, and the
 * checks and titles of the PNG files.
 */
package dev.engram.memorization.report;
