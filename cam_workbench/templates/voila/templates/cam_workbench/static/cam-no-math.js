// A MathJax that typesets nothing: our pages show no mathematics.
// - JupyterLab typesets every widget label and text with MathJax, so "$20 to $40" would turn
//   into a formula, and MathJax 3 (about 1 MB of script) would load on every visit.
//   cam_workbench.serving.config.patient_page_config points JupyterLab's MathJax 2 typesetter
//   at this file instead (Config, Configured, Register and Queue are what it calls).
// - Voila's reveal script asks MathJax on every slide change (getAllJax, Rerender): the
//   workshop slides load this file before it.
window.MathJax = {
  Hub: {
    Config() {},
    Configured() {},
    Queue() {},
    Register: {StartupHook() {}},
    getAllJax() { return false; },
    Rerender() {},
  },
};
