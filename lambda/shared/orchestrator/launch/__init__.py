"""Launch settings: what a protection group wants of each member server's DRS launch configuration and
EC2 launch template, what they are, the drift between the two, and the changes that apply them."""
