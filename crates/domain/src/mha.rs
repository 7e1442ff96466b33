//! Mental Health Act 1983 s136/s135 rules (as amended by the Policing and Crime Act 2017).
//! Filled by the crisis-response work.
